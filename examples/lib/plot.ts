// The examples' one plotting helper: a Vega-Lite spec compiled with vega-lite, rendered to SVG by vega's headless
// View (no browser, no canvas), and rasterised to PNG by @resvg/resvg-js. Every example that draws uses this.
import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import * as vegaLite from 'vega-lite';

export type { TopLevelSpec } from 'vega-lite';

/** Paths of the files written by {@link writePlot}. */
export interface PlotFiles {
  svg: string;
  png: string;
}

/**
 * Renders a Vega-Lite spec to `<basePath>.svg` and `<basePath>.png` (PNG at `scale`× the SVG size, white
 * background) and returns both paths.
 *
 * @example
 * ```ts
 * await writePlot({ data: { values: [{ x: 1, y: 2 }] }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } }, 'out/demo');
 * ```
 */
export async function writePlot(spec: TopLevelSpec, basePath: string, { scale = 2 }: { scale?: number } = {}): Promise<PlotFiles> {
  const withDefaults: TopLevelSpec = {
    background: 'white',
    ...spec,
    config: { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', ...(spec.config ?? {}) },
  } as TopLevelSpec;
  const compiled = vegaLite.compile(withDefaults).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: 'white',
  })
    .render()
    .asPng();
  const files = { svg: `${basePath}.svg`, png: `${basePath}.png` };
  writeFileSync(files.svg, svg);
  writeFileSync(files.png, png);
  return files;
}
