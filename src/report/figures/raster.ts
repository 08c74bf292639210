/**
 * SVG to PNG (resvg) and PDF (PDFKit + svg-to-pdfkit), with the DejaVu Sans font
 * the figures are set in loaded from the dejavu-fonts-ttf package: the same
 * glyphs on every machine, and embedded in the PDF.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import PDFDocument from "pdfkit";

const require = createRequire(import.meta.url);
const FONT_DIR = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
const FONTS = { regular: join(FONT_DIR, "DejaVuSans.ttf"), bold: join(FONT_DIR, "DejaVuSans-Bold.ttf") };

/** PNG at `scale` x the SVG's size (2 = sharp on paper and screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: false, fontFiles: [FONTS.regular, FONTS.bold], defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return r.render().asPng();
}

/** A one-page PDF the size of the SVG, text in embedded DejaVu Sans. */
export async function svgToPdf(svg: string): Promise<Buffer> {
  const svgToPdfKit = require("svg-to-pdfkit") as (doc: PDFKit.PDFDocument, svg: string, x: number, y: number, opts?: Record<string, unknown>) => void;
  const m = /<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svg);
  const width = m ? Number(m[1]) : 600, height = m ? Number(m[2]) : 400;
  const doc = new PDFDocument({ size: [width, height], margin: 0, info: { Producer: "moesweep", Creator: "moesweep figures" } });
  doc.registerFont("DejaVu Sans", FONTS.regular);
  doc.registerFont("DejaVu Sans-Bold", FONTS.bold);
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on("end", () => resolve(Buffer.concat(chunks))));
  svgToPdfKit(doc, svg, 0, 0, {
    assumePt: true,
    fontCallback: (_family: string, bold: boolean) => (bold ? "DejaVu Sans-Bold" : "DejaVu Sans"),
  });
  doc.end();
  return done;
}
