// Queries shared by tests: the nested all-cities query (boundaries, 20 years, firm pages with histories, neighbours'
// metrics) that the N+1 test counts statements of and the limits test must still allow.
export const NESTED_ALL_CITIES = `query ($first: Int!) {
  cities(first: $first) {
    nodes {
      code boundary(simplify: 0.05)
      metrics { year population dfu }
      firms(first: 5) { totalCount nodes { id name city { code } history { year revenue kind } } }
      neighbours { sharedKm city { code name metrics(years: [2019]) { year } } }
    }
  }
}`;
