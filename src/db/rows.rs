//! Typed reads of the rows a server returns. mysql_async's own conversions (`query::<T>`,
//! `exec_first::<T>`, `row.get::<T>`, `from_row`) panic on a NULL or a value of another type;
//! every typed read here goes through `convert`, which says which query gave which row instead.
//! Queries ask for `Row`s (that conversion cannot fail) and convert them here.

use mysql_async::Row;
use mysql_async::prelude::FromRow;

/// A row that does not convert to the type its query was read as.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{query}` returned a row with a NULL or a value of an unexpected type: {row}")]
pub struct RowError {
    pub query: String,
    /// The row as `column=value, ...` (values as SQL literals).
    pub row: String,
}

/// Converts one row of `query`'s answer to `T`.
pub fn convert<T: FromRow>(row: Row, query: &str) -> Result<T, RowError> {
    T::from_row_opt(row).map_err(|e| RowError {
        query: query.to_owned(),
        row: describe(&e.0),
    })
}

/// Converts every row of `query`'s answer to `T`.
pub fn convert_all<T: FromRow>(rows: Vec<Row>, query: &str) -> Result<Vec<T>, RowError> {
    rows.into_iter().map(|r| convert(r, query)).collect()
}

fn describe(row: &Row) -> String {
    row.columns_ref()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let v = row.as_ref(i).map_or("?".into(), |v| v.as_sql(false));
            format!("{}={v}", c.name_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}
