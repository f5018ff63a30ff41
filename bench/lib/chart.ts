// A scatter chart of adherence against NFE per image, drawn as SVG and rasterised by sharp.
import sharp from "sharp";

export interface Point {
  label: string;
  nfe: number;
  adherence: number;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export async function adherenceChart(points: Point[], out: string): Promise<void> {
  const W = 900;
  const H = 560;
  const L = 70;
  const R = 330;
  const T = 30;
  const B = 60;
  const maxNfe = Math.max(45, ...points.map((p) => p.nfe)) * 1.05;
  const x = (nfe: number) => L + (nfe / maxNfe) * (W - L - R);
  const y = (a: number) => T + (1 - a) * (H - T - B);
  const grid = [0, 0.2, 0.4, 0.6, 0.8, 1]
    .map(
      (a) =>
        `<line x1="${L}" x2="${W - R}" y1="${y(a)}" y2="${y(a)}" stroke="#ddd"/><text x="${L - 8}" y="${y(a) + 4}" text-anchor="end" font-size="12">${a * 100}%</text>`,
    )
    .join("");
  const ticks = [0, 10, 20, 30, 40, 50, 60]
    .filter((n) => n <= maxNfe)
    .map(
      (n) =>
        `<line x1="${x(n)}" x2="${x(n)}" y1="${H - B}" y2="${H - B + 5}" stroke="#333"/><text x="${x(n)}" y="${H - B + 20}" text-anchor="middle" font-size="12">${n}</text>`,
    )
    .join("");
  const colors = [
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#9a6324",
    "#000075",
    "#808000",
    "#469990",
    "#dcbeff",
    "#800000",
    "#aaffc3",
    "#ffd8b1",
    "#a9a9a9",
    "#000000",
    "#fabed4",
  ];
  const dots = points
    .map(
      (p, i) =>
        `<circle cx="${x(p.nfe)}" cy="${y(p.adherence)}" r="6" fill="${colors[i % colors.length]}" stroke="#222"/>`,
    )
    .join("");
  const legend = points
    .map(
      (p, i) =>
        `<circle cx="${W - R + 20}" cy="${T + 10 + i * 24}" r="6" fill="${colors[i % colors.length]}" stroke="#222"/><text x="${W - R + 32}" y="${T + 14 + i * 24}" font-size="12">${esc(p.label)} (${p.nfe.toFixed(0)}, ${(100 * p.adherence).toFixed(0)}%)</text>`,
    )
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>${grid}${ticks}
<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>
<text x="${(L + W - R) / 2}" y="${H - 15}" text-anchor="middle" font-size="14">NFE per image</text>
<text x="18" y="${(T + H - B) / 2}" text-anchor="middle" font-size="14" transform="rotate(-90 18 ${(T + H - B) / 2})">all-attributes adherence</text>
${dots}${legend}</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(out);
}

export interface StrengthPoint {
  strength: number;
  changed: number;
  kept: number;
  position: number;
}

/** Lines of the requested change and what was kept against edit strength, text-to-image's adherence dashed. */
export async function strengthChart(points: StrengthPoint[], t2i: number, out: string): Promise<void> {
  const [W, H, L, R, T, B] = [760, 460, 70, 200, 30, 60];
  const x = (s: number) => L + s * (W - L - R);
  const y = (a: number) => T + (1 - a) * (H - T - B);
  const grid = [0, 0.2, 0.4, 0.6, 0.8, 1]
    .map(
      (a) =>
        `<line x1="${L}" x2="${W - R}" y1="${y(a)}" y2="${y(a)}" stroke="#ddd"/><text x="${L - 8}" y="${y(a) + 4}" text-anchor="end" font-size="12">${a * 100}%</text>`,
    )
    .join("");
  const ticks = points
    .map(
      (p) =>
        `<line x1="${x(p.strength)}" x2="${x(p.strength)}" y1="${H - B}" y2="${H - B + 5}" stroke="#333"/><text x="${x(p.strength)}" y="${H - B + 20}" text-anchor="middle" font-size="12">${p.strength}</text>`,
    )
    .join("");
  const series: Array<[string, string, (p: StrengthPoint) => number]> = [
    ["requested change", "#e6194b", (p) => p.changed],
    ["untouched kept", "#4363d8", (p) => p.kept],
    ["position kept", "#3cb44b", (p) => p.position],
  ];
  const lines = series
    .map(([label, color, f], i) => {
      const pts = points.map((p) => `${x(p.strength)},${y(f(p))}`).join(" ");
      const dots = points.map((p) => `<circle cx="${x(p.strength)}" cy="${y(f(p))}" r="4" fill="${color}"/>`).join("");
      return `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>${dots}<line x1="${W - R + 12}" x2="${W - R + 36}" y1="${T + 10 + i * 24}" y2="${T + 10 + i * 24}" stroke="${color}" stroke-width="2"/><text x="${W - R + 42}" y="${T + 14 + i * 24}" font-size="12">${esc(label)}</text>`;
    })
    .join("");
  const baseline = `<line x1="${L}" x2="${W - R}" y1="${y(t2i)}" y2="${y(t2i)}" stroke="#e6194b" stroke-dasharray="6 4"/><text x="${W - R + 12}" y="${T + 14 + 3 * 24}" font-size="12">- - text-to-image (${(100 * t2i).toFixed(0)}%)</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>${grid}${ticks}
<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>
<text x="${(L + W - R) / 2}" y="${H - 15}" text-anchor="middle" font-size="14">edit strength</text>
${baseline}${lines}</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(out);
}
