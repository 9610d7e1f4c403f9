// Builds greeter.js into a component with componentize-js:
//   node build.mjs <this directory> <output.wasm>
// scripts/build-greeters.sh copies it next to the node_modules it
// installed componentize-js into and runs it there. The world is the fixtures'
// `greeter-provider` (tests/guests/wit).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { componentize } from '@bytecodealliance/componentize-js';

const [here, output] = process.argv.slice(2);
if (!here || !output) {
  console.error('usage: node build.mjs <tests/toolchains directory> <output.wasm>');
  process.exit(2);
}
const { component } = await componentize({
  sourcePath: join(here, 'greeter.js'),
  witPath: join(here, '..', 'guests', 'wit'),
  worldName: 'greeter-provider',
  disableFeatures: ['http', 'fetch-event'],
});
await writeFile(output, component);
console.log(`${output}: ${component.length} bytes`);
