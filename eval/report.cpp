// The HTML report (owned by the report helper).
