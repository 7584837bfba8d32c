// Field topologies with writers running, PG17 → PG17: see topologies/suite.ts.
import { topologySuite } from "./topologies/suite";

topologySuite(17);
