# The agent's addon: raw ICMP sockets (icmp_socket.c), the TCP connect prober (tcp_connect.c), the continuous ICMP/TCP schedule (schedule.c, schedule_run.c, schedule.h) and releasePages (pages.c); probe_util.h and tcp_probe.h shared, napi_util.h from core/native. Plain Node-API C, built by `npm run build` (build/build.js runs
# node-gyp here); the result is build/Release/icmp_socket.node.
{
  'targets': [
    {
      'target_name': 'icmp_socket',
      'sources': ['icmp_socket.c', 'tcp_connect.c', 'schedule.c', 'schedule_run.c', 'pages.c'],
      'include_dirs': ['../../core/native'],
      'cflags': ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter'],
    }
  ]
}
