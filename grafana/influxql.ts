// InfluxQL targets for the SDK's panels. The foundation SDK ships builders for many data sources but none for
// InfluxDB, so this is the one builder it lacks: a raw InfluxQL query in the shape Grafana's InfluxDB plugin stores.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';

/** The provisioned InfluxDB data source every board queries (datasources/vipwatch.yaml declares the same uid). */
export const DATASOURCE_UID = 'vipwatch-influxdb';
export const datasource: common.DataSourceRef = { type: 'influxdb', uid: DATASOURCE_UID };

export type ResultFormat = 'time_series' | 'table';

/** A raw InfluxQL target, as Grafana's InfluxDB plugin saves one written in its raw-query editor. */
export interface InfluxQLQuery extends common.DataQuery {
  query: string;
  rawQuery: true;
  resultFormat: ResultFormat;
  /** series name pattern: $tag_<key>, $col, $measurement */
  alias?: string;
}

/** Columns of an InfluxQL annotation query (Grafana's InfluxDB annotation editor). */
export interface InfluxQLAnnotation extends InfluxQLQuery {
  fromAnnotations: true;
  titleColumn?: string;
  textColumn?: string;
  tagsColumn?: string;
}

// The SDK marks data queries with a no-op method; JSON.stringify drops it.
const marker = { _implementsDataqueryVariant: (): void => {} };

export class InfluxQLBuilder implements cog.Builder<cog.Dataquery> {
  private readonly target: InfluxQLQuery & Partial<Omit<InfluxQLAnnotation, keyof InfluxQLQuery>>;

  constructor(refId: string, query: string, resultFormat: ResultFormat = 'time_series') {
    this.target = { refId, datasource, query, rawQuery: true, resultFormat };
  }

  alias(alias: string): this {
    this.target.alias = alias;
    return this;
  }

  /** Turns the target into an annotation query whose rows become events. */
  annotationColumns(columns: { title: string; text: string; tags: string[] }): this {
    Object.assign(this.target, { fromAnnotations: true, titleColumn: columns.title, textColumn: columns.text, tagsColumn: columns.tags.join(',') });
    return this;
  }

  build(): cog.Dataquery {
    return { ...this.target, ...marker };
  }
}

export const influxql = (refId: string, query: string, resultFormat?: ResultFormat): InfluxQLBuilder =>
  new InfluxQLBuilder(refId, query, resultFormat);

/** Quotes an InfluxQL identifier (retention policy, measurement, tag or field key). */
export const ident = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
