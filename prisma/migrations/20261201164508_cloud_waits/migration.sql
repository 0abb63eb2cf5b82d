-- CreateTable
CREATE TABLE "CloudWait" (
    "operationId" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "jobName" TEXT NOT NULL,
    "actionId" BIGINT,
    "serverId" BIGINT,
    "agentId" TEXT,
    "serverStatus" TEXT,
    "deadline" TIMESTAMP(3) NOT NULL,
    "nextPollAt" TIMESTAMP(3) NOT NULL,
    "polls" INTEGER NOT NULL DEFAULT 0,
    "observed" JSONB,
    "observedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CloudWait_pkey" PRIMARY KEY ("operationId")
);

-- CreateIndex
CREATE INDEX "CloudWait_nextPollAt_idx" ON "CloudWait"("nextPollAt");

-- AddForeignKey
ALTER TABLE "CloudWait" ADD CONSTRAINT "CloudWait_operationId_fkey" FOREIGN KEY ("operationId") REFERENCES "Operation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
