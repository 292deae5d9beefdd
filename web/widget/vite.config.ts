// Builds ONE self-contained HTML file (all JS and CSS inlined) so the widget
// needs no asset host: its CSP declares no outside domain (W1, W2, P3).
import { defineConfig } from "vite";
import { viteSingleFile } from "vite-plugin-singlefile";

export default defineConfig({
  base: "./",
  plugins: [viteSingleFile({ removeViteModuleLoader: true })],
  build: {
    outDir: "dist",
    emptyOutDir: false,
    target: "es2022",
    modulePreload: false,
    sourcemap: false,
    reportCompressedSize: true,
    rollupOptions: { input: "board.html" },
  },
});
