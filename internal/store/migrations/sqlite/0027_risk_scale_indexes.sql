-- Safeguard schema 27 (SQLite): indexes for a large organisation's risk
-- analysis (issue 13: 10,000 assets, 40,000 flows, 20,000 risks), found
-- missing by BenchmarkRiskScale and bench/scale.
--
-- The inventory's class filter and its counts by class, and its lifecycle
-- filter, each read an index in name order.
CREATE INDEX assets_org_class ON assets (org_id, class, name, id);
CREATE INDEX assets_org_lifecycle ON assets (org_id, lifecycle, name, id);
-- The heat maps count the risks that are not closed by cell: with the
-- status in the index, the counts read the index alone.
DROP INDEX risks_org_current_cell;
DROP INDEX risks_org_inherent_cell;
CREATE INDEX risks_org_current_cell ON risks (org_id, scale_id, current_likelihood, current_impact, status);
CREATE INDEX risks_org_inherent_cell ON risks (org_id, scale_id, inherent_likelihood, inherent_impact, status);
-- The dashboard's top risks, by current then inherent level, newest first.
CREATE INDEX risks_org_top ON risks (org_id, current_level, inherent_level, id);
