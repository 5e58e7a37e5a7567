import { buildFotaApp } from './FotaApp.ts';

buildFotaApp().app.synth();
