import { previewBench } from "./preview.bench";
previewBench(console.log).catch((e) => { console.error(e); process.exit(1); });
