// armnn_shim.cpp -- armnn_shim.h: Arm NN's C++ API behind a C interface.
// No exception leaves this file: each entry point catches everything and
// turns it into a wc_error.
#include "nn/armnn_shim.h"

#include <armnn/ArmNN.hpp>
#include <armnn/Exceptions.hpp>
#include <armnn/Utils.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>

#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

struct wc_armnn_net {
    armnn::IRuntimePtr runtime{nullptr, &armnn::IRuntime::Destroy};
    armnn::NetworkId id = 0;
    bool loaded = false;
    std::vector<armnn::LayerBindingId> in_ids, out_ids;
    std::vector<armnn::TensorInfo> in_infos, out_infos;
    std::vector<wc_armnn_tensor> inputs, outputs;
    std::mutex run_lock;

    ~wc_armnn_net()
    {
        if (loaded)
            runtime->UnloadNetwork(id);
    }
};

namespace {

// Arm NN logs to stdout by default, which is the MCP stdio transport's
// channel: its logging is switched off, its errors come back as messages.
void quiet_logging()
{
    static std::once_flag once;
    std::call_once(once, [] { armnn::ConfigureLogging(false, false, armnn::LogSeverity::Fatal); });
}

int describe(const armnn::TensorInfo &info, wc_armnn_tensor *out, wc_error *err)
{
    std::memset(out, 0, sizeof *out);
    switch (info.GetDataType()) {
    case armnn::DataType::Float32:
        out->type = WC_ARMNN_F32;
        break;
    case armnn::DataType::QAsymmU8:
        out->type = WC_ARMNN_U8;
        break;
    case armnn::DataType::QAsymmS8:
    case armnn::DataType::QSymmS8:
        out->type = WC_ARMNN_I8;
        break;
    case armnn::DataType::Signed32:
        out->type = WC_ARMNN_I32;
        break;
    default:
        return wc_error_set(err, WC_EBADMODULE,
                            "nn: Arm NN: a graph input or output of data type %s",
                            armnn::GetDataTypeName(info.GetDataType()));
    }
    unsigned rank = info.GetNumDimensions();
    if (rank > WC_ARMNN_MAX_RANK)
        return wc_error_set(err, WC_EBADMODULE, "nn: Arm NN: a graph input or output of rank %u",
                            rank);
    out->rank = rank;
    for (unsigned i = 0; i < rank; i++)
        out->dims[i] = info.GetShape()[i];
    out->size = info.GetNumBytes();
    return 0;
}

int load(const uint8_t *bytes, size_t size, wc_armnn_net *net, wc_error *err)
{
    quiet_logging();
    auto parser = armnnTfLiteParser::ITfLiteParser::Create();
    armnn::INetworkPtr network = parser->CreateNetworkFromBinary(std::vector<uint8_t>(bytes, bytes + size));
    if (parser->GetSubgraphCount() < 1)
        return wc_error_set(err, WC_EBADMODULE, "nn: Arm NN: the model has no subgraph");
    armnn::IRuntime::CreationOptions options;
    net->runtime = armnn::IRuntime::Create(options);
    std::vector<std::string> messages;
    armnn::IOptimizedNetworkPtr optimized =
        armnn::Optimize(*network, {armnn::Compute::CpuRef}, net->runtime->GetDeviceSpec(),
                        armnn::OptimizerOptions(),
                        armnn::Optional<std::vector<std::string> &>(messages));
    if (!optimized) {
        std::string why = messages.empty() ? std::string("no reason given") : messages.front();
        return wc_error_set(err, WC_EBADMODULE, "nn: Arm NN cannot optimize the model for CpuRef: %s",
                            why.c_str());
    }
    std::string why;
    if (net->runtime->LoadNetwork(net->id, std::move(optimized), why) != armnn::Status::Success)
        return wc_error_set(err, WC_EBADMODULE, "nn: Arm NN cannot load the model: %s", why.c_str());
    net->loaded = true;
    for (const std::string &name : parser->GetSubgraphInputTensorNames(0)) {
        armnn::BindingPointInfo b = parser->GetNetworkInputBindingInfo(0, name);
        net->in_ids.push_back(b.first);
        net->in_infos.push_back(net->runtime->GetInputTensorInfo(net->id, b.first));
    }
    for (const std::string &name : parser->GetSubgraphOutputTensorNames(0)) {
        armnn::BindingPointInfo b = parser->GetNetworkOutputBindingInfo(0, name);
        net->out_ids.push_back(b.first);
        net->out_infos.push_back(net->runtime->GetOutputTensorInfo(net->id, b.first));
    }
    net->inputs.resize(net->in_infos.size());
    net->outputs.resize(net->out_infos.size());
    for (size_t i = 0; i < net->in_infos.size(); i++)
        if (int rc = describe(net->in_infos[i], &net->inputs[i], err))
            return rc;
    for (size_t i = 0; i < net->out_infos.size(); i++)
        if (int rc = describe(net->out_infos[i], &net->outputs[i], err))
            return rc;
    return 0;
}

// What Arm NN threw (the exception being handled), as a wc_error of code
// (std::bad_alloc as WC_ENOMEM).
int caught(int code, const char *what, wc_error *err)
{
    try {
        throw;
    } catch (const std::bad_alloc &) {
        return wc_error_set(err, WC_ENOMEM, "nn: Arm NN ran out of memory: it %s", what);
    } catch (const std::exception &e) {
        return wc_error_set(err, code, "nn: Arm NN %s: %s", what, e.what());
    } catch (...) {
        return wc_error_set(err, code, "nn: Arm NN %s: an exception of unknown type", what);
    }
}

} // namespace

extern "C" uint32_t wc_armnn_shim_version(void)
{
    return WC_ARMNN_SHIM_VERSION;
}

extern "C" int wc_armnn_net_load(const uint8_t *bytes, size_t size, wc_armnn_net **out, wc_error *err)
{
    *out = nullptr;
    wc_armnn_net *net = nullptr;
    try {
        net = new wc_armnn_net;
        int rc = load(bytes, size, net, err);
        if (rc) {
            delete net;
            return rc;
        }
    } catch (...) {
        int rc = caught(WC_EBADMODULE, "refused the model", err);
        try {
            delete net;
        } catch (...) {
        }
        return rc;
    }
    *out = net;
    return 0;
}

extern "C" void wc_armnn_net_free(wc_armnn_net *net)
{
    try {
        delete net;
    } catch (...) {
        // Unloading cannot be retried: what is left is the runtime's to free.
    }
}

extern "C" uint32_t wc_armnn_net_input_count(const wc_armnn_net *net)
{
    return (uint32_t)net->inputs.size();
}

extern "C" uint32_t wc_armnn_net_output_count(const wc_armnn_net *net)
{
    return (uint32_t)net->outputs.size();
}

extern "C" const wc_armnn_tensor *wc_armnn_net_input(const wc_armnn_net *net, uint32_t index)
{
    return index < net->inputs.size() ? &net->inputs[index] : nullptr;
}

extern "C" const wc_armnn_tensor *wc_armnn_net_output(const wc_armnn_net *net, uint32_t index)
{
    return index < net->outputs.size() ? &net->outputs[index] : nullptr;
}

extern "C" int wc_armnn_net_run(wc_armnn_net *net, const void *const *inputs, void *const *outputs,
                                wc_error *err)
{
    try {
        armnn::InputTensors in;
        armnn::OutputTensors out;
        for (size_t i = 0; i < net->in_ids.size(); i++)
            in.emplace_back(net->in_ids[i], armnn::ConstTensor(net->in_infos[i], inputs[i]));
        for (size_t i = 0; i < net->out_ids.size(); i++)
            out.emplace_back(net->out_ids[i], armnn::Tensor(net->out_infos[i], outputs[i]));
        std::lock_guard<std::mutex> hold(net->run_lock);
        if (net->runtime->EnqueueWorkload(net->id, in, out) != armnn::Status::Success)
            return wc_error_set(err, WC_EIO, "nn: Arm NN failed to run the model");
        return 0;
    } catch (...) {
        return caught(WC_EIO, "failed to run the model", err);
    }
}
