// Formatting for the TypeScript and JavaScript sources; Markdown, JSON fixtures and recorded
// outputs keep their own layout (.prettierignore).
export default {
  printWidth: 120,
  singleQuote: true,
  trailingComma: 'all',
};
