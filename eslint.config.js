// The JavaScript linter of `make lint`: ESLint's recommended rules over the widget and the
// staff console (browser scripts, no build step; what they share is native ES modules).
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  js.configs.recommended,
  {
    files: ["bot/static/**/*.js"],
    languageOptions: { ecmaVersion: 2020, sourceType: "script", globals: { ...globals.browser } },
  },
  {
    files: ["bot/static/shared/**/*.js"],
    languageOptions: { sourceType: "module" },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
  },
];
