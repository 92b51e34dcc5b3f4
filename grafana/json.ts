// The JSON form of an SDK type: what JSON.stringify makes of a built object, so exported files can be type-checked
// against the pinned SDK's own dashboard types. Methods vanish (the SDK marks data queries with one), and string
// enums become their string values, which is how they appear in JSON.
type Fn = (...args: never[]) => unknown;

export type Json<T> =
  0 extends 1 & T ? T // any stays any (the SDK types panel options and layer configs as any)
    : T extends Fn ? never
      : T extends string ? `${T}`
        : T extends number | boolean | null | undefined ? T
          : T extends ReadonlyArray<infer U> ? Array<Json<U>>
            : T extends object ? { [K in keyof T as T[K] extends Fn ? never : K]: Json<T[K]> }
              : T;

/** The built object as the JSON text Grafana reads (2-space indent, trailing newline). */
export const toJsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
