// Lets Node run the project's TypeScript sources directly (native type stripping, Node >= 22.18):
// sources import siblings as './x.js' (NodeNext style), so map such a specifier to './x.ts' when
// only the TypeScript file exists. Used by the benchmark only; the app itself runs from dist/.
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (relative && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
      const js = new URL(specifier, context.parentURL);
      if (!existsSync(fileURLToPath(js))) {
        const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
        if (existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});
