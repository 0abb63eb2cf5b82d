-- A provisioning callback ends the operations of its job, and the sweeper fails those of silent
-- runs: both find them by job, which without this index reads the whole table.
CREATE INDEX "Operation_provisioningJobId_idx" ON "Operation"("provisioningJobId");
