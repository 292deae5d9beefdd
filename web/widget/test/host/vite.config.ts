// Builds the test host page (not shipped): the host side of the MCP Apps
// bridge, using the official ext-apps AppBridge and MCP client.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  logLevel: "warn",
  build: { outDir: process.env.HOST_OUT_DIR ?? "../../test-results/host", emptyOutDir: true, target: "es2022" },
});
