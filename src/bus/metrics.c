/* metrics.c -- the bus's part of /metrics. */
#include "bus/bus.h"

void wc_bus_render_metrics(const wc_bus *bus, wc_buf *out)
{
    wc_bus_state state = wc_bus_get_state(bus);
    wc_bus_stats st;
    wc_bus_get_stats(bus, &st);
    wc_buf_printf(
        out,
        "# HELP wasmcap_bus_connected Whether the bus is connected (the in-process bus always "
        "is); the labels say which bus and its state.\n"
        "# TYPE wasmcap_bus_connected gauge\n"
        "wasmcap_bus_connected{kind=\"%s\",state=\"%s\"} %d\n"
        "# HELP wasmcap_bus_published_total Messages the bus took to send.\n"
        "# TYPE wasmcap_bus_published_total counter\n"
        "wasmcap_bus_published_total %llu\n"
        "# HELP wasmcap_bus_delivered_total Messages handed to the server's subscriptions.\n"
        "# TYPE wasmcap_bus_delivered_total counter\n"
        "wasmcap_bus_delivered_total %llu\n"
        "# HELP wasmcap_bus_dropped_total Messages a full subscription queue dropped.\n"
        "# TYPE wasmcap_bus_dropped_total counter\n"
        "wasmcap_bus_dropped_total %llu\n"
        "# HELP wasmcap_bus_reconnects_total Connections to NATS regained after a loss.\n"
        "# TYPE wasmcap_bus_reconnects_total counter\n"
        "wasmcap_bus_reconnects_total %llu\n",
        wc_bus_kind(bus), wc_bus_state_name(state), state == WC_BUS_CONNECTED,
        (unsigned long long)st.published, (unsigned long long)st.delivered,
        (unsigned long long)st.dropped, (unsigned long long)st.reconnects);
}
