# The analyzer's addon: the replay's JSON Lines record scanner (record_scan.c; analyzer/record-scan.ts types it).
# Plain Node-API C, built by `npm run build` (build/build.js runs node-gyp here); the result is
# build/Release/record_scan.node.
{
  'targets': [
    {
      'target_name': 'record_scan',
      'sources': ['record_scan.c'],
      'include_dirs': ['../../core/native'],
      'cflags': ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter'],
    }
  ]
}
