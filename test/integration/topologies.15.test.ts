// Field topologies with writers running, PG15 → PG15: see topologies/suite.ts.
import { topologySuite } from "./topologies/suite";

topologySuite(15);
