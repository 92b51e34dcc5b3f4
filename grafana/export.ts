// Grafana provisioning for vipwatch: the InfluxDB data source, a file dashboard provider, the boards' JSON and the
// province gazetteer. provisioningFiles() is pure (same config and options, same bytes); writeFiles() puts them on disk.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../core/config.js';
import { boards } from './boards/index.js';
import { GAZETTEER_FILE, provinceGazetteer } from './gazetteer.js';
import { DATASOURCE_UID } from './influxql.js';
import { BOARD_TAG, type BoardOptions } from './parts.js';
import { toJsonText } from './json.js';

export interface ExportOptions {
  /** where Grafana sees the export directory (default: the directory's absolute path on this machine) */
  grafanaPath: string;
  /** URL the browser loads the gazetteer from (default: inside Grafana's public/gazetteer directory) */
  gazetteerUrl?: string;
}

export interface ProvisioningFile {
  /** relative to the export directory, "/"-separated */
  path: string;
  content: string;
}

export const DEFAULT_GAZETTEER_URL = `public/gazetteer/${GAZETTEER_FILE}`;
export const DASHBOARD_DIR = 'dashboards/vipwatch';

const HEADER = '# Written by `vipwatch grafana export`: edit the boards as code and export again instead of editing this file.\n';
const yamlFile = (doc: unknown): string => HEADER + stringify(doc, { lineWidth: 0 });

/** Grafana expands ${VAR} in provisioning files, so secrets stay in the environment (the same variables vipwatch reads). */
function datasourceDoc(cfg: Config): unknown {
  const influx = cfg.series.influx;
  const secure: Record<string, string> = {};
  const jsonData: Record<string, unknown> = {
    version: 'InfluxQL',
    dbName: influx.database,
    httpMode: 'POST',
    // the smallest GROUP BY time(): one point per probe minute
    timeInterval: `${cfg.minuteSec}s`,
  };
  if (influx.password !== undefined) secure.password = '${VIPWATCH_SERIES__INFLUX__PASSWORD}';
  if (influx.token !== undefined) {
    jsonData.httpHeaderName1 = 'Authorization';
    secure.httpHeaderValue1 = 'Token ${VIPWATCH_SERIES__INFLUX__TOKEN}';
  }
  return {
    apiVersion: 1,
    datasources: [{
      name: 'vipwatch InfluxDB',
      uid: DATASOURCE_UID,
      type: 'influxdb',
      access: 'proxy',
      url: influx.url,
      // Grafana before 9 reads the database here, later versions from jsonData.dbName
      database: influx.database,
      ...(influx.username !== undefined ? { user: influx.username } : {}),
      editable: false,
      jsonData,
      ...(Object.keys(secure).length ? { secureJsonData: secure } : {}),
    }],
  };
}

function providerDoc(grafanaPath: string): unknown {
  return {
    apiVersion: 1,
    providers: [{
      name: 'vipwatch',
      orgId: 1,
      folder: 'vipwatch',
      folderUid: BOARD_TAG,
      type: 'file',
      disableDeletion: false,
      allowUiUpdates: false,
      updateIntervalSeconds: 60,
      options: { path: `${grafanaPath.replace(/\/+$/, '')}/${DASHBOARD_DIR}`, foldersFromFilesStructure: false },
    }],
  };
}

export function provisioningFiles(cfg: Config, opts: ExportOptions): ProvisioningFile[] {
  const boardOptions: BoardOptions = {
    retentionPolicy: cfg.series.influx.retentionPolicy,
    gazetteerUrl: opts.gazetteerUrl ?? DEFAULT_GAZETTEER_URL,
  };
  return [
    { path: 'datasources/vipwatch.yaml', content: yamlFile(datasourceDoc(cfg)) },
    { path: 'dashboards/vipwatch.yaml', content: yamlFile(providerDoc(opts.grafanaPath)) },
    ...Object.entries(boards).map(([uid, build]) => ({ path: `${DASHBOARD_DIR}/${uid}.json`, content: toJsonText(build(boardOptions)) })),
    { path: `gazetteer/${GAZETTEER_FILE}`, content: toJsonText(provinceGazetteer()) },
  ];
}

/** Writes the files under outDir (creating directories) and returns their absolute paths. Other files are left alone. */
export function writeFiles(outDir: string, files: ProvisioningFile[]): string[] {
  return files.map((f) => {
    const target = resolve(join(outDir, f.path));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.content);
    return target;
  });
}
