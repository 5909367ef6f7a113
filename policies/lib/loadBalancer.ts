// What kind of load balancer a resource's props describe, read the same way by every check, the availability model
// and the pricer.
import { isUnknown, read } from "./unknowns";

/**
 * A load balancer's type in upper case: REGIONAL when unset, undefined while unknown. The provider takes
 * REGIONAL, GLOBAL and REGIONAL_NETWORK in any case (terraform-provider-digitalocean
 * loadbalancer/resource_loadbalancer.go:451-458, StringInSlice with ignoreCase).
 */
export function loadBalancerType(props: unknown): string | undefined {
    const type = read(props, "type");
    if (isUnknown(type)) return undefined;
    return typeof type === "string" ? type.toUpperCase() : "REGIONAL";
}

/** A global load balancer (type GLOBAL): it routes to droplets or regional load balancers in several regions. */
export const isGlobalLoadBalancer = (props: unknown): boolean => loadBalancerType(props) === "GLOBAL";
