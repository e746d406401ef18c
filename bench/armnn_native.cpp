// armnn_native.cpp -- Arm NN CpuRef called directly, the way a native C++
// program would use it: the baseline bench_nn_armnn.c runs beside the
// XNNPACK path.  Nothing of wasmcap is linked.
//
//   armnn_native MODEL.tflite ITERATIONS
//
// Parses the model, optimizes it for CpuRef, loads it, runs it once to warm
// up and then ITERATIONS times on fixed pseudo-random inputs; prints one
// line, `ok LOAD_MS MEDIAN_US MEAN_US`, or `refused MESSAGE` (exit 1).
#include <armnn/ArmNN.hpp>
#include <armnn/Utils.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

static double micros(Clock::duration d)
{
    return std::chrono::duration<double, std::micro>(d).count();
}

int main(int argc, char **argv)
{
    if (argc != 3 || std::atoi(argv[2]) < 1) {
        std::fprintf(stderr, "usage: armnn_native MODEL.tflite ITERATIONS\n");
        return 2;
    }
    const int iterations = std::atoi(argv[2]);
    armnn::ConfigureLogging(false, false, armnn::LogSeverity::Fatal);
    try {
        Clock::time_point start = Clock::now();
        auto parser = armnnTfLiteParser::ITfLiteParser::Create();
        armnn::INetworkPtr network = parser->CreateNetworkFromBinaryFile(argv[1]);
        armnn::IRuntimePtr runtime = armnn::IRuntime::Create(armnn::IRuntime::CreationOptions());
        armnn::IOptimizedNetworkPtr optimized =
            armnn::Optimize(*network, {armnn::Compute::CpuRef}, runtime->GetDeviceSpec());
        armnn::NetworkId id;
        if (!optimized || runtime->LoadNetwork(id, std::move(optimized)) != armnn::Status::Success) {
            std::printf("refused Arm NN cannot optimize or load the model\n");
            return 1;
        }
        double load_ms = micros(Clock::now() - start) / 1000;

        std::vector<std::vector<unsigned char>> in_data, out_data;
        armnn::InputTensors inputs;
        armnn::OutputTensors outputs;
        unsigned seed = 12345;
        for (const std::string &name : parser->GetSubgraphInputTensorNames(0)) {
            armnn::LayerBindingId b = parser->GetNetworkInputBindingInfo(0, name).first;
            armnn::TensorInfo info = runtime->GetInputTensorInfo(id, b);
            in_data.emplace_back(info.GetNumBytes());
            for (unsigned char &c : in_data.back())
                c = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
            if (info.GetDataType() == armnn::DataType::Float32)
                for (size_t i = 0; i + 4 <= in_data.back().size(); i += 4) {
                    float f = (float)(i % 61) / 10.0f - 3.0f;
                    std::copy_n(reinterpret_cast<unsigned char *>(&f), 4, &in_data.back()[i]);
                }
            inputs.emplace_back(b, armnn::ConstTensor(info, in_data.back().data()));
        }
        for (const std::string &name : parser->GetSubgraphOutputTensorNames(0)) {
            armnn::LayerBindingId b = parser->GetNetworkOutputBindingInfo(0, name).first;
            armnn::TensorInfo info = runtime->GetOutputTensorInfo(id, b);
            out_data.emplace_back(info.GetNumBytes());
            outputs.emplace_back(b, armnn::Tensor(info, out_data.back().data()));
        }
        if (runtime->EnqueueWorkload(id, inputs, outputs) != armnn::Status::Success) {
            std::printf("refused Arm NN failed to run the model\n");
            return 1;
        }
        std::vector<double> times;
        for (int i = 0; i < iterations; i++) {
            Clock::time_point t0 = Clock::now();
            runtime->EnqueueWorkload(id, inputs, outputs);
            times.push_back(micros(Clock::now() - t0));
        }
        double sum = 0;
        for (double t : times)
            sum += t;
        std::sort(times.begin(), times.end());
        std::printf("ok %.3f %.3f %.3f\n", load_ms, times[times.size() / 2], sum / iterations);
        return 0;
    } catch (const std::exception &e) {
        std::string what = e.what();
        std::replace(what.begin(), what.end(), '\n', ' ');
        std::printf("refused %s\n", what.c_str());
        return 1;
    }
}
