// Scrapes a /metrics endpoint and reads it with a Prometheus text-format parser (parse-prometheus-text-format,
// prom2json's shape), so the tests check what Prometheus itself would read.
import parsePrometheusTextFormat, { type PromFamily, type PromSample } from "parse-prometheus-text-format";

export interface Scrape {
  families: PromFamily[];
  /** The family's type as declared by # TYPE; throws when the family is missing. */
  type(name: string): PromFamily["type"];
  /** The value of the one sample of `name` whose labels include `labels`; 0 when there is none. */
  value(name: string, labels?: Record<string, string>): number;
  /**
   * A label-free histogram's count and sum. The parser folds labelled histograms into one sample without
   * count or sum (its open issue #13), so those are read through a counter kept beside them instead.
   */
  histogram(name: string): { count: number; sum: number };
  /** Every sample of `name`. */
  samples(name: string): PromSample[];
}

export async function scrape(url: string, token: string): Promise<Scrape> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("text/plain")) throw new Error(`${url}: content-type ${type}`);
  return readScrape(await res.text());
}

export function readScrape(text: string): Scrape {
  const families = parsePrometheusTextFormat(text);
  const family = (name: string) => {
    const f = families.find((x) => x.name === name);
    if (!f) throw new Error(`no metric family ${name}`);
    return f;
  };
  const matching = (name: string, labels: Record<string, string>) =>
    family(name).metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  const only = (name: string, labels: Record<string, string>) => {
    const found = matching(name, labels);
    if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples`);
    return found[0];
  };
  return {
    families,
    type: (name) => family(name).type,
    value: (name, labels = {}) => Number(only(name, labels)?.value ?? 0),
    histogram: (name) => {
      if (family(name).type !== "HISTOGRAM") throw new Error(`${name} is not a histogram`);
      const s = only(name, {});
      if (s?.count === undefined || s.sum === undefined) throw new Error(`${name}: no count and sum (labelled?)`);
      return { count: Number(s.count), sum: Number(s.sum) };
    },
    samples: (name) => family(name).metrics,
  };
}
