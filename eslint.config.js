// The JavaScript linter of `make lint`: ESLint's recommended rules over the widget and the
// staff console, native ES modules that browsers load as written (no build step).
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  js.configs.recommended,
  {
    files: ["bot/static/**/*.js"],
    languageOptions: { ecmaVersion: 2020, sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
  },
];
