// `node --import ./register.mjs …`: from here on, importing a package that `npm ci --omit=dev` would not install
// throws. Those packages are the ones package-lock.json marks `"dev": true`.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
