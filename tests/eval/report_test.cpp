// Tests of the HTML report (owned by the report helper).
