// Field topologies with writers running, PG18 → PG18: see topologies/suite.ts.
import { topologySuite } from "./topologies/suite";

topologySuite(18);
