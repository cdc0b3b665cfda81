// What a unit code is: any short text key (GB/T 2260, FIPS, NUTS, ...). Same rule as the `city.code` CHECK constraint
// (migration 20261201000000_units_variables); imports, GraphQL arguments and OGC feature ids all check it here.
export const UNIT_CODE_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$/;
