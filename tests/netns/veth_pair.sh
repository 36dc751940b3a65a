# veth_pair SERVER_NS CLIENT_NS PREFIX PASS_OBJ: two new namespaces joined by
# one veth pair (eth0 in each, nothing else: no link to the outside), the
# server 198.51.100.1/24 + 2001:db8:16::1/64, the client .2 / ::2. Sourced
# by tests/netns/xdp.sh and bench/compare_netns.sh, which then attach
# pinholed --xdp to the server's eth0.
#
# The client's eth0 runs PASS_OBJ (an XDP_PASS program): XDP_TX on a veth
# only reaches a peer that runs XDP itself. Locally sent datagrams leave veth
# with a partial checksum (offload) that the XDP program would reject (it
# checks UDP checksums as the kernel does); a real NIC delivers complete
# ones, and so does veth with tx offload off (the client's; the server's
# stays on, as a NIC's would).
veth_pair() {
  local s=$1 c=$2 prefix=$3 pass_obj=$4
  ip netns add "$s"
  ip -n "$s" link set lo up
  veth_client "$s" "$c" "$prefix" "$pass_obj" eth0 198.51.100 2001:db8:16
}

# veth_client SERVER_NS CLIENT_NS PREFIX PASS_OBJ SERVER_IFACE NET4 NET6: one
# more client namespace on its own veth pair to the (existing) server
# namespace: the server's SERVER_IFACE NET4.1/24 + NET6::1/64, the client's
# eth0 .2 / ::2, set up as above (bench/compare_netns.sh's second generator).
veth_client() {
  local s=$1 c=$2 prefix=$3 pass_obj=$4 sif=$5 net4=$6 net6=$7
  ip netns add "$c"
  ip link add "${prefix}0" type veth peer name "${prefix}1"
  ip link set "${prefix}0" netns "$s" name "$sif"
  ip link set "${prefix}1" netns "$c" name eth0
  ip -n "$c" link set lo up
  ip -n "$s" link set "$sif" up
  ip -n "$c" link set eth0 up
  ip -n "$s" addr add "$net4.1/24" dev "$sif"
  ip -n "$c" addr add "$net4.2/24" dev eth0
  ip -n "$s" addr add "$net6::1/64" dev "$sif" nodad
  ip -n "$c" addr add "$net6::2/64" dev eth0 nodad
  ip -n "$c" link set dev eth0 xdp obj "$pass_obj" sec xdp
  ip netns exec "$c" ethtool -K eth0 tx off >/dev/null
}
