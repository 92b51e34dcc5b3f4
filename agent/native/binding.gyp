# The agent's raw ICMP socket addon (icmp_socket.c) and TCP connect prober (tcp_connect.c; napi_util.h shared): plain Node-API C, built by `npm run build` (build/build.js runs
# node-gyp here); the result is build/Release/icmp_socket.node.
{
  'targets': [
    {
      'target_name': 'icmp_socket',
      'sources': ['icmp_socket.c', 'tcp_connect.c'],
      'cflags': ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter'],
    }
  ]
}
