// Drift and faults repaired by the next `up`, PG15 → PG18: see drift/suite.ts.
import { driftSuite } from "./drift/suite";

driftSuite(15, 18);
