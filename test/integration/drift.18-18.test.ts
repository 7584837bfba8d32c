// Drift and faults repaired by the next `up`, PG18 → PG18: see drift/suite.ts.
import { driftSuite } from "./drift/suite";

driftSuite(18, 18);
