// Views declare what they show as rows (or columns): a label, the GraphQL fields it needs, and how it is shown.
// A view's query selects the fields of its rows, so a field the schema gains is shown by adding one row.

/** The selection of these rows' fields. */
export const selection = (rows) => [...new Set(rows.map((row) => row.fields))].join(" ");

/** [label, value] for the summary list. */
export const shown = (rows, entity, ...context) => rows.map((row) => [row.label, row.show(entity, ...context)]);
