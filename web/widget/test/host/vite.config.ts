// Builds the test host pages (not shipped): index.html, the host side of
// the MCP Apps bridge (the official ext-apps AppBridge and MCP client), and
// openai.html, a host that offers the View only window.openai.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  logLevel: "warn",
  build: {
    outDir: process.env.HOST_OUT_DIR ?? "../../test-results/host",
    emptyOutDir: true,
    target: "es2022",
    rollupOptions: { input: { index: resolve(import.meta.dirname, "index.html"), openai: resolve(import.meta.dirname, "openai.html") } },
  },
});
