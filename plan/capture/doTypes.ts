// Type tokens of the DigitalOcean provider's resources, as the engine records them.

/** `droplet:Droplet` → `digitalocean:index/droplet:Droplet`. */
export const doType = (name: string) => `digitalocean:index/${name}`;
