-- The quantity Stripe bills for (the sum of the subscription's item quantities), mirrored
-- with the status so the number of agents a customer paid for can be read locally.
ALTER TABLE "Subscription" ADD COLUMN     "quantity" INTEGER;
