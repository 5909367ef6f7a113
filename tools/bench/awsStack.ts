// The benchmark's AWS stack: what a team's web stack on AWS looks like in `pulumi stack export` form, built to the
// size of webstack's own benchmark stack so the peer pack (@pulumi/awsguard, tools/bench/peer-pack) and webstack's
// pack are each measured against the same no-op pack on stacks of one size. The shape mirrors webstack's prod stack:
// web instances each with a private DNS record, three load balancers with listeners and target groups, security
// groups, a database with replicas, alarms, a bucket and a CDN. Properties follow @pulumi/aws 4.38's schema (inputs
// as the program gave them, outputs as the provider's state holds them, user data as its SHA-1 as Terraform stores
// it). No IAM access key or login profile, and by default no ACM certificate: awsguard checks those by calling AWS's
// API, which the bench cannot reach. `pendingCertificate` adds the certificate the HTTPS listeners use as a preview that
// creates it sees it (id not known yet): awsguard's acm-certificate-expiration then runs over the whole stack, as it
// would on a stack that holds its certificate, but skips the API call for a certificate without an id.
import { createHash } from "node:crypto";

const STACK = "prod";
const PROJECT = "shop";
const urn = (type: string, name: string) => `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;
const ROOT = urn("pulumi:pulumi:Stack", `${PROJECT}-${STACK}`);
const PROVIDER_URN = urn("pulumi:providers:aws", "default_4_38_1");
const PROVIDER = `${PROVIDER_URN}::0e9a1f6c-0000-4000-8000-000000000001`;
const REGION = "eu-central-1";
const ACCOUNT = "123456789012";
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

interface ExportedResource {
    urn: string;
    custom: boolean;
    id?: string;
    type: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    parent: string;
    provider?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
}

function resource(
    type: string,
    name: string,
    id: string,
    inputs: Record<string, unknown>,
    computed: Record<string, unknown>,
    deps: Record<string, string[]> = {},
): ExportedResource {
    const tags = { Project: PROJECT, Stack: STACK, Name: name };
    const withTags = "tags" in inputs ? { ...inputs, tags } : inputs;
    return {
        urn: urn(type, name),
        custom: true,
        id,
        type,
        inputs: { __defaults: [], ...withTags },
        outputs: { id, ...withTags, ...("tags" in inputs ? { tagsAll: tags } : {}), ...computed },
        parent: ROOT,
        provider: PROVIDER,
        dependencies: [...new Set(Object.values(deps).flat())],
        propertyDependencies: deps,
    };
}

/** An AWS web stack with `instances` web servers (and as many DNS records), as `pulumi stack export` writes it. */
export function awsStackExport(
    instances: number,
    userData: string,
    options: { pendingCertificate?: boolean } = {},
): unknown {
    const resources: ExportedResource[] = [
        {
            urn: ROOT,
            custom: false,
            type: "pulumi:pulumi:Stack",
            outputs: { url: "https://shop.example.com" },
            parent: "",
        },
        {
            urn: PROVIDER_URN,
            custom: true,
            id: PROVIDER.split("::").pop(),
            type: "pulumi:providers:aws",
            inputs: { region: REGION, version: "4.38.1" },
            outputs: { region: REGION, version: "4.38.1" },
            parent: "",
        },
    ];
    const add = (r: ExportedResource) => (resources.push(r), r.urn);
    const vpc = add(
        resource(
            "aws:ec2/vpc:Vpc",
            "main",
            "vpc-0a1b2c3d4e5f60718",
            { cidrBlock: "10.0.0.0/16", enableDnsHostnames: true, enableDnsSupport: true, tags: {} },
            { arn: arn("ec2", "vpc/vpc-0a1b2c3d4e5f60718"), instanceTenancy: "default", mainRouteTableId: "rtb-01" },
        ),
    );
    const subnets = [0, 1, 2].map((i) =>
        add(
            resource(
                "aws:ec2/subnet:Subnet",
                `private-${i}`,
                `subnet-0${i}a1b2c3d4e5f6071`,
                {
                    vpcId: "vpc-0a1b2c3d4e5f60718",
                    cidrBlock: `10.0.${i * 16}.0/20`,
                    availabilityZone: `${REGION}${"abc"[i]}`,
                    tags: {},
                },
                {
                    arn: arn("ec2", `subnet/subnet-0${i}`),
                    mapPublicIpOnLaunch: false,
                    assignIpv6AddressOnCreation: false,
                },
                { vpcId: [vpc] },
            ),
        ),
    );
    const groups = ["lb", "web", "db"].map((role) =>
        add(
            resource(
                "aws:ec2/securityGroup:SecurityGroup",
                `${role}-sg`,
                `sg-0${role}00000000000`,
                {
                    vpcId: "vpc-0a1b2c3d4e5f60718",
                    description: `${role} tier`,
                    ingress: [
                        {
                            protocol: "tcp",
                            fromPort: 443,
                            toPort: 443,
                            cidrBlocks: role === "lb" ? ["0.0.0.0/0"] : [],
                            securityGroups: [],
                        },
                    ],
                    egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
                    tags: {},
                },
                { arn: arn("ec2", `security-group/sg-0${role}`), ownerId: ACCOUNT, revokeRulesOnDelete: false },
                { vpcId: [vpc] },
            ),
        ),
    );
    const zone = add(
        resource(
            "aws:route53/zone:Zone",
            "internal",
            "Z0123456789ABCDEFGHIJ",
            { name: "shop.internal", vpcs: [{ vpcId: "vpc-0a1b2c3d4e5f60718" }], tags: {} },
            {
                arn: "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
                nameServers: [],
                zoneId: "Z0123456789ABCDEFGHIJ",
            },
            { vpcs: [vpc] },
        ),
    );
    const targetGroups = [0, 1, 2].map((i) =>
        add(
            resource(
                "aws:lb/targetGroup:TargetGroup",
                `web-${i}`,
                arn("elasticloadbalancing", `targetgroup/web-${i}/${hex(i, 16)}`),
                {
                    port: 80,
                    protocol: "HTTP",
                    vpcId: "vpc-0a1b2c3d4e5f60718",
                    healthCheck: { path: "/healthz", matcher: "200" },
                    tags: {},
                },
                {
                    arn: arn("elasticloadbalancing", `targetgroup/web-${i}`),
                    deregistrationDelay: 300,
                    targetType: "instance",
                },
                { vpcId: [vpc] },
            ),
        ),
    );
    for (let i = 0; i < 3; i++) {
        const lb = add(
            resource(
                "aws:lb/loadBalancer:LoadBalancer",
                `edge-${i}`,
                arn("elasticloadbalancing", `loadbalancer/app/edge-${i}/${hex(i, 16)}`),
                {
                    loadBalancerType: "application",
                    internal: false,
                    securityGroups: ["sg-0lb00000000000"],
                    subnets: ["subnet-00a1b2c3d4e5f6071", "subnet-01a1b2c3d4e5f6071", "subnet-02a1b2c3d4e5f6071"],
                    enableDeletionProtection: true,
                    accessLogs: { bucket: "shop-lb-logs", enabled: true },
                    tags: {},
                },
                {
                    dnsName: `edge-${i}-1234567890.${REGION}.elb.amazonaws.com`,
                    zoneId: "Z215JYRZR1TBD5",
                    ipAddressType: "ipv4",
                },
                { securityGroups: [groups[0]], subnets },
            ),
        );
        add(
            resource(
                "aws:lb/listener:Listener",
                `edge-${i}-https`,
                arn("elasticloadbalancing", `listener/app/edge-${i}/${hex(i, 16)}/443`),
                {
                    loadBalancerArn: arn("elasticloadbalancing", `loadbalancer/app/edge-${i}`),
                    port: 443,
                    protocol: "HTTPS",
                    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    certificateArn: arn("acm", "certificate/0e9a1f6c"),
                    defaultActions: [
                        { type: "forward", targetGroupArn: arn("elasticloadbalancing", `targetgroup/web-${i}`) },
                    ],
                },
                {},
                { loadBalancerArn: [lb], defaultActions: [targetGroups[i]] },
            ),
        );
    }
    // awsguard's acm-certificate-expiration skips a certificate whose id is empty (not created yet).
    if (options.pendingCertificate)
        add(
            resource(
                "aws:acm/certificate:Certificate",
                "www",
                "",
                {
                    domainName: "shop.example.com",
                    subjectAlternativeNames: ["www.shop.example.com"],
                    validationMethod: "DNS",
                    tags: {},
                },
                { arn: "", status: "PENDING_VALIDATION", domainValidationOptions: [] },
            ),
        );
    const userDataHash = createHash("sha1").update(userData).digest("hex");
    for (let i = 0; i < instances; i++) {
        const id = `i-0${hex(i, 16)}`;
        const ip = `10.0.${Math.floor(i / 250) % 48}.${(i % 250) + 4}`;
        const subnet = `subnet-0${i % 3}a1b2c3d4e5f6071`;
        const inputs = {
            ami: "ami-0a5b3305c37e58e04",
            instanceType: "t3.small",
            subnetId: subnet,
            vpcSecurityGroupIds: ["sg-0web00000000000"],
            userData,
            keyName: "deployer",
            iamInstanceProfile: "web-instance",
            monitoring: true,
            associatePublicIpAddress: false,
            rootBlockDevice: { encrypted: true, volumeSize: 20, volumeType: "gp3", deleteOnTermination: true },
            ebsBlockDevices: [{ deviceName: "/dev/sdf", volumeSize: 50, encrypted: true, deleteOnTermination: true }],
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
            tags: {},
        };
        const web = add(
            resource(
                "aws:ec2/instance:Instance",
                `web-${i}`,
                id,
                inputs,
                {
                    userData: userDataHash,
                    arn: arn("ec2", `instance/${id}`),
                    availabilityZone: `${REGION}${"abc"[i % 3]}`,
                    capacityReservationSpecification: {
                        capacityReservationPreference: "open",
                        capacityReservationTarget: null,
                    },
                    cpuCoreCount: 1,
                    cpuThreadsPerCore: 2,
                    creditSpecification: { cpuCredits: "unlimited" },
                    disableApiTermination: false,
                    ebsOptimized: false,
                    enclaveOptions: { enabled: false },
                    getPasswordData: false,
                    hibernation: false,
                    hostId: "",
                    instanceInitiatedShutdownBehavior: "stop",
                    instanceState: "running",
                    ipv6AddressCount: 0,
                    ipv6Addresses: [],
                    maintenanceOptions: { autoRecovery: "default" },
                    outpostArn: "",
                    passwordData: "",
                    placementGroup: "",
                    placementPartitionNumber: 0,
                    primaryNetworkInterfaceId: `eni-0${hex(i, 16)}`,
                    privateDns: `ip-${ip.replace(/\./g, "-")}.${REGION}.compute.internal`,
                    privateDnsNameOptions: {
                        enableResourceNameDnsARecord: false,
                        enableResourceNameDnsAaaaRecord: false,
                        hostnameType: "ip-name",
                    },
                    privateIp: ip,
                    publicDns: "",
                    publicIp: "",
                    rootBlockDevice: {
                        ...inputs.rootBlockDevice,
                        deviceName: "/dev/xvda",
                        iops: 3000,
                        throughput: 125,
                        kmsKeyId: arn("kms", "key/aws-ebs"),
                        volumeId: `vol-0${hex(i, 16)}`,
                        tags: {},
                    },
                    ebsBlockDevices: [
                        {
                            ...inputs.ebsBlockDevices[0],
                            iops: 3000,
                            throughput: 125,
                            kmsKeyId: arn("kms", "key/aws-ebs"),
                            snapshotId: "",
                            volumeId: `vol-1${hex(i, 16)}`,
                            volumeType: "gp3",
                            tags: {},
                        },
                    ],
                    secondaryPrivateIps: [],
                    securityGroups: [],
                    sourceDestCheck: true,
                    tenancy: "default",
                    userDataReplaceOnChange: false,
                },
                { subnetId: [subnets[i % 3]], vpcSecurityGroupIds: [groups[1]] },
            ),
        );
        add(
            resource(
                "aws:route53/record:Record",
                `web-${i}`,
                `Z0123456789ABCDEFGHIJ_web-${i}.shop.internal_A`,
                { zoneId: "Z0123456789ABCDEFGHIJ", name: `web-${i}.shop.internal`, type: "A", ttl: 60, records: [ip] },
                { fqdn: `web-${i}.shop.internal`, allowOverwrite: false },
                { zoneId: [zone], records: [web] },
            ),
        );
    }
    const db = add(
        resource(
            "aws:rds/instance:Instance",
            "orders",
            "orders-db",
            {
                engine: "postgres",
                engineVersion: "16.3",
                instanceClass: "db.m6g.large",
                allocatedStorage: 100,
                storageEncrypted: true,
                multiAz: true,
                backupRetentionPeriod: 7,
                publiclyAccessible: false,
                dbSubnetGroupName: "private",
                vpcSecurityGroupIds: ["sg-0db00000000000"],
                username: "shop",
                password: {
                    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                    ciphertext: "v1:Zm9v",
                },
                tags: {},
            },
            {
                arn: arn("rds", "db:orders-db"),
                address: "orders-db.abc.eu-central-1.rds.amazonaws.com",
                endpoint: "orders-db.abc.eu-central-1.rds.amazonaws.com:5432",
                port: 5432,
                status: "available",
            },
            { vpcSecurityGroupIds: [groups[2]] },
        ),
    );
    for (const name of ["orders-replica-0", "orders-replica-1"])
        add(
            resource(
                "aws:rds/instance:Instance",
                name,
                name,
                {
                    replicateSourceDb: "orders-db",
                    instanceClass: "db.m6g.large",
                    storageEncrypted: true,
                    publiclyAccessible: false,
                    vpcSecurityGroupIds: ["sg-0db00000000000"],
                    tags: {},
                },
                { arn: arn("rds", `db:${name}`), port: 5432, status: "available" },
                { replicateSourceDb: [db] },
            ),
        );
    for (const metric of [
        "CPUUtilization",
        "StatusCheckFailed",
        "HTTPCode_Target_5XX_Count",
        "UnHealthyHostCount",
        "TargetResponseTime",
        "FreeStorageSpace",
        "DatabaseConnections",
        "ReplicaLag",
        "4XXError",
    ])
        add(
            resource(
                "aws:cloudwatch/metricAlarm:MetricAlarm",
                `alarm-${metric}`,
                `alarm-${metric}`,
                {
                    comparisonOperator: "GreaterThanThreshold",
                    evaluationPeriods: 2,
                    metricName: metric,
                    namespace: "AWS/EC2",
                    period: 300,
                    statistic: "Average",
                    threshold: 80,
                    alarmActions: [arn("sns", "oncall")],
                    tags: {},
                },
                { arn: arn("cloudwatch", `alarm:alarm-${metric}`) },
            ),
        );
    add(
        resource(
            "aws:s3/bucket:Bucket",
            "assets",
            "shop-assets-prod",
            { acl: "private", versioning: { enabled: true }, loggings: [{ targetBucket: "shop-logs" }], tags: {} },
            {
                arn: "arn:aws:s3:::shop-assets-prod",
                bucketDomainName: "shop-assets-prod.s3.amazonaws.com",
                region: REGION,
            },
        ),
    );
    return {
        version: 3,
        deployment: {
            manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "v3.249.0" },
            secrets_providers: { type: "passphrase", state: { salt: "v1:bench" } },
            resources,
        },
    };
}

/** A web instance's cloud-config as such a stack writes it: nginx in front of the app's unit, logs shipped by Vector. */
export const WEB_USER_DATA = [
    "#cloud-config",
    "package_update: true",
    "packages:",
    "  - nginx",
    "  - vector",
    "write_files:",
    "  - path: /etc/nginx/sites-available/shop",
    "    content: |",
    "      upstream app { server 127.0.0.1:8080; keepalive 32; }",
    "      server {",
    "          listen 80 default_server;",
    "          server_name _;",
    "          client_max_body_size 10m;",
    "          location /healthz { access_log off; return 200 'ok'; }",
    "          location /static/ { root /srv/shop; expires 7d; add_header Cache-Control public; }",
    "          location / {",
    "              proxy_pass http://app;",
    "              proxy_http_version 1.1;",
    "              proxy_set_header Connection '';",
    "              proxy_set_header Host $host;",
    "              proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "              proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;",
    "              proxy_read_timeout 30s;",
    "          }",
    "      }",
    "  - path: /etc/systemd/system/shop.service",
    "    content: |",
    "      [Unit]",
    "      Description=shop web application",
    "      After=network-online.target",
    "      Wants=network-online.target",
    "      [Service]",
    "      User=shop",
    "      EnvironmentFile=/etc/shop/shop.env",
    "      ExecStart=/usr/bin/node /srv/shop/server.js",
    "      Restart=always",
    "      RestartSec=2",
    "      LimitNOFILE=65536",
    "      [Install]",
    "      WantedBy=multi-user.target",
    "  - path: /etc/vector/vector.yaml",
    "    content: |",
    "      sources:",
    "        nginx: { type: file, include: [/var/log/nginx/*.log] }",
    "        journal: { type: journald, include_units: [shop.service] }",
    "      sinks:",
    "        logs:",
    "          type: elasticsearch",
    "          inputs: [nginx, journal]",
    "          endpoints: [https://logs.shop.internal:9200]",
    "          auth: { strategy: basic, user: shipper, password: '${LOG_PASSWORD}' }",
    "runcmd:",
    "  - ln -sf /etc/nginx/sites-available/shop /etc/nginx/sites-enabled/default",
    "  - useradd --system --home /srv/shop shop",
    "  - aws s3 cp s3://shop-releases/current.tar.gz /tmp/shop.tar.gz && tar -xzf /tmp/shop.tar.gz -C /srv/shop",
    "  - systemctl daemon-reload",
    "  - systemctl enable --now shop nginx vector",
    "",
].join("\n");
