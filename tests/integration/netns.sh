# Sourced by integration tests and the demo: a network namespace holding the
# feed simulator, joined to the root namespace by a veth pair that oriond
# reads with a DPDK vdev. Everything is created here and removed by
# orion_netns_down (tests call it from an EXIT trap). Only the 10.77.0.0/24
# addresses of this pair are ever used.
#   orion_netns_up TAG   → sets ORION_NS, ORION_VETH_HOST (oriond side),
#                           ORION_VETH_SIM (simulator side, 10.77.0.1/24)
orion_netns_need() {
	if [ "$(id -u)" -ne 0 ]; then echo "needs root for network namespaces"; return 1; fi
	command -v ip >/dev/null || { echo "needs iproute2"; return 1; }
	ip netns add orion-probe-$$ 2>/dev/null || { echo "cannot create network namespaces here"; return 1; }
	ip netns del orion-probe-$$
}

orion_netns_up() {
	local tag=$1
	ORION_NS=orion-$tag
	ORION_VETH_HOST=vo-$tag
	ORION_VETH_SIM=vs-$tag
	orion_netns_down
	ip netns add "$ORION_NS"
	ip link add "$ORION_VETH_HOST" type veth peer name "$ORION_VETH_SIM"
	ip link set "$ORION_VETH_SIM" netns "$ORION_NS"
	ip link set "$ORION_VETH_HOST" up
	# No address on the host side: oriond owns 10.77.0.2 through DPDK and
	# answers ARP for it itself.
	sysctl -qw "net.ipv6.conf.$ORION_VETH_HOST.disable_ipv6=1" 2>/dev/null || true
	ip -n "$ORION_NS" link set lo up
	ip -n "$ORION_NS" addr add 10.77.0.1/24 dev "$ORION_VETH_SIM"
	ip -n "$ORION_NS" link set "$ORION_VETH_SIM" up
	ip -n "$ORION_NS" route add 224.0.0.0/4 dev "$ORION_VETH_SIM"
	ip netns exec "$ORION_NS" sysctl -qw "net.ipv6.conf.$ORION_VETH_SIM.disable_ipv6=1" 2>/dev/null || true
}

orion_netns_down() {
	[ -n "${ORION_VETH_HOST:-}" ] && ip link del "$ORION_VETH_HOST" 2>/dev/null || true
	[ -n "${ORION_NS:-}" ] && ip netns del "$ORION_NS" 2>/dev/null || true
	return 0
}
