// Subscription.contractCreated: one event per row inserted into contracts.
// Fed by the trigger of extras.sql: pg_notify('contract_created', NEW.pk::text).
// The payload (contracts.pk) is turned back into the Contract row, so each
// subscriber's selection set is planned/fetched like any other Contract.
import { extendSchema, gql } from "postgraphile/utils";
import { context, listen } from "postgraphile/grafast";

export const ContractCreatedSubscriptionPlugin = extendSchema((build) => {
  const contracts = build.input.pgRegistry.pgResources.contracts;
  if (!contracts) throw new Error("contracts table not found in pgRegistry");
  return {
    typeDefs: gql`
      extend type Subscription {
        """
        Fires once for every newly indexed contract (Postgres NOTIFY 'contract_created').
        """
        contractCreated: Contract
      }
    `,
    objects: {
      Subscription: {
        plans: {
          contractCreated: {
            subscribePlan() {
              const $pgSubscriber = context().get("pgSubscriber");
              return listen($pgSubscriber, "contract_created");
            },
            plan($id) {
              return contracts.get({ pk: $id });
            },
          },
        },
      },
    },
  };
}, "ContractCreatedSubscriptionPlugin");
