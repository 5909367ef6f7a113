// What kind of load balancer a `type` value names, read the same way by every check, the availability model and the
// pricer. No imports: the pricer stays free of the policy runtime; callers read the value (lib/unknowns.ts `read`,
// which gives a marker object for a value not known yet).

/**
 * A load balancer's type in upper case: REGIONAL when unset, undefined when the value is not a string (not known
 * yet). The provider takes REGIONAL, GLOBAL and REGIONAL_NETWORK in any case (terraform-provider-digitalocean
 * loadbalancer/resource_loadbalancer.go:451-458, StringInSlice with ignoreCase).
 */
export function loadBalancerType(type: unknown): string | undefined {
    if (type === undefined || type === null) return "REGIONAL";
    return typeof type === "string" ? type.toUpperCase() : undefined;
}

/** A global load balancer (type GLOBAL): it routes to droplets or regional load balancers in several regions. */
export const isGlobalLoadBalancer = (type: unknown): boolean => loadBalancerType(type) === "GLOBAL";
