/**
 * Headless Chromium from Debian (`apt-get install chromium`), driven by playwright-core:
 * never a browser that playwright downloads. The path, the flags (WebGL 2 and WebGPU on
 * SwiftShader, so both work on a machine without a GPU) and the launch are
 * @gluon-loss/conformance's (`gluon-conformance --browser` starts the same browser).
 */
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH } from '@gluon-loss/conformance/chromium';

export { CHROMIUM_FLAGS, CHROMIUM_PATH, launchChromium } from '@gluon-loss/conformance/chromium';

export function chromiumAvailable(): { available: true } | { available: false; reason: string } {
  return existsSync(CHROMIUM_PATH)
    ? { available: true }
    : { available: false, reason: `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)` };
}
