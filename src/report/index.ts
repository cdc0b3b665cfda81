// Publication tables: regression and descriptive tables in Markdown, LaTeX and HTML (pure functions).
export { render, toMarkdown, toLatex, toHtml, num, stars, HTML_STYLE, type Format, type Table } from './table.js';
export {
  regressionTable, regressionTableModel, descriptivesTable, descriptivesTableModel, detectedEffects,
  type ModelColumn, type RegressionTableOptions,
} from './regression.js';
