package dev.healthmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.sun.net.httpserver.HttpServer;
import dev.healthmon.aggregate.AggregatorService;
import dev.healthmon.http.Meters;
import dev.healthmon.http.OpsEndpoints;
import dev.healthmon.http.Readiness;
import dev.healthmon.kafka.KafkaSettings;
import dev.healthmon.secrets.DeclaredSecret;
import dev.healthmon.secrets.SecretCatalog;
import dev.healthmon.secrets.SecretSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The Kubernetes manifests (deploy/kubernetes, a kustomize base) cannot be applied here, so their parts are
 * checked against the code, as {@link ComposeFileTest} does for compose: every container's arguments and
 * environment (env, envFrom, the downward API, Secrets, {@code $(VAR)} expansion as the kubelet does it) go
 * through the real picocli command line; every probe's path and port are asked of the real endpoints; the
 * secrets declaration is loaded by the real loader and each secret's source is where the manifests put it.
 */
class KubernetesManifestsTest {

    private static final Path DIR = Path.of("deploy", "kubernetes");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    private static final String NAMESPACE = "observability";
    private static final DockerImageFile IMAGE = DockerImageFile.read();

    private final List<JsonNode> objects = readAll();

    private static JsonNode readYaml(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> resources() {
        List<String> resources = new ArrayList<>();
        readYaml(DIR.resolve("kustomization.yaml")).path("resources").forEach(r -> resources.add(r.asText()));
        return resources;
    }

    private static List<JsonNode> readAll() {
        List<JsonNode> all = new ArrayList<>();
        for (String resource : resources()) {
            try {
                YAML.readerFor(JsonNode.class).<JsonNode>readValues(DIR.resolve(resource).toFile()).readAll()
                        .stream().filter(node -> !node.isMissingNode() && !node.isNull()).forEach(all::add);
            } catch (IOException e) {
                throw new UncheckedIOException(resource, e);
            }
        }
        return all;
    }

    private JsonNode object(String kind, String name) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)
                && o.path("metadata").path("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + DIR));
    }

    private List<JsonNode> objects(String kind) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    /** A healthmon container of a workload, as one of its pods would run it. */
    private record Pod(JsonNode workload, String name, JsonNode spec, JsonNode container) {

        JsonNode probe(String kind) {
            return container.path(kind).path("httpGet");
        }

        /** The container port a probe's (named or numbered) port means. */
        int port(JsonNode port) {
            if (port.isInt()) {
                return port.asInt();
            }
            for (JsonNode p : container.path("ports")) {
                if (p.path("name").asText().equals(port.asText())) {
                    return p.path("containerPort").asInt();
                }
            }
            throw new AssertionError("no container port named " + port);
        }

        /** The volume mounted at {@code mountPath}. */
        JsonNode volumeAt(String mountPath) {
            for (JsonNode mount : container.path("volumeMounts")) {
                if (mount.path("mountPath").asText().equals(mountPath)) {
                    String name = mount.path("name").asText();
                    for (JsonNode volume : spec.path("volumes")) {
                        if (volume.path("name").asText().equals(name)) {
                            return volume;
                        }
                    }
                    for (JsonNode claim : workload.path("spec").path("volumeClaimTemplates")) {
                        if (claim.path("metadata").path("name").asText().equals(name)) {
                            return YAML.createObjectNode().put("name", name).set("volumeClaimTemplate", claim);
                        }
                    }
                    throw new AssertionError("mount " + mountPath + ": no volume " + name);
                }
            }
            throw new AssertionError("nothing mounted at " + mountPath + " in " + container.path("name").asText());
        }
    }

    /** The workload's healthmon container, in a pod named as Kubernetes would name it. */
    private Pod pod(String kind, String name) {
        JsonNode workload = object(kind, name);
        String podName = switch (kind) {
            case "StatefulSet" -> name + "-1";
            case "Deployment" -> name + "-5d8f7c9b4-x2x7q";
            default -> name + "-k8v2n";
        };
        JsonNode spec = workload.path("spec").path("template").path("spec");
        List<JsonNode> healthmon = new ArrayList<>();
        spec.path("containers").forEach(c -> {
            if (c.path("image").asText().equals("healthmon")) {
                healthmon.add(c);
            }
        });
        assertThat(healthmon).as("healthmon containers of %s", name).hasSize(1);
        return new Pod(workload, podName, spec, healthmon.get(0));
    }

    private List<Pod> pods() {
        List<Pod> pods = new ArrayList<>();
        for (String kind : List.of("Deployment", "StatefulSet", "Job")) {
            objects(kind).forEach(w -> pods.add(pod(kind, w.path("metadata").path("name").asText())));
        }
        return pods;
    }

    private String secretValue(String secret, String key) {
        JsonNode found = object("Secret", secret);
        JsonNode value = found.path("stringData").has(key) ? found.path("stringData").path(key)
                : found.path("data").path(key);
        assertThat(value.isMissingNode()).as("Secret %s has key %s", secret, key).isFalse();
        return value.asText();
    }

    /**
     * The container's environment as the kubelet builds it: envFrom first, then env in order, each value with
     * {@code $(VAR)} of the variables before it expanded; the downward API gives the pod's name and namespace.
     */
    private Map<String, String> environment(Pod pod) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode from : pod.container().path("envFrom")) {
            object("ConfigMap", from.path("configMapRef").path("name").asText()).path("data").fields()
                    .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        }
        for (JsonNode variable : pod.container().path("env")) {
            String name = variable.path("name").asText();
            JsonNode from = variable.path("valueFrom");
            if (variable.has("value")) {
                env.put(name, expand(variable.path("value").asText(), env));
            } else if (from.has("fieldRef")) {
                String field = from.path("fieldRef").path("fieldPath").asText();
                env.put(name, switch (field) {
                    case "metadata.name" -> pod.name();
                    case "metadata.namespace" -> NAMESPACE;
                    default -> throw new AssertionError(name + ": unexpected field " + field);
                });
            } else if (from.has("secretKeyRef")) {
                env.put(name, secretValue(from.path("secretKeyRef").path("name").asText(),
                        from.path("secretKeyRef").path("key").asText()));
            } else {
                throw new AssertionError(name + ": neither a value nor a known valueFrom");
            }
        }
        return env;
    }

    private static String expand(String text, Map<String, String> env) {
        Matcher m = REFERENCE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            assertThat(env).as("$(%s) in %s refers to a variable defined before it", m.group(1), text)
                    .containsKey(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(env.get(m.group(1))));
        }
        return m.appendTail(out).toString();
    }

    private static Set<String> references(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = REFERENCE.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private List<String> args(Pod pod, Map<String, String> env) {
        List<String> args = new ArrayList<>();
        pod.container().path("args").forEach(a -> args.add(expand(a.asText(), env)));
        return args;
    }

    /** The command the container runs, parsed by the real command line with the container's environment. */
    private CommandSpec parse(Pod pod) {
        Map<String, String> env = environment(pod);
        CommandLine cli = HealthmonCli.commandLine(env);
        CommandLine.ParseResult result = cli.parseArgs(args(pod, env).toArray(new String[0]));
        while (result.hasSubcommand()) {
            result = result.subcommand();
        }
        return result.commandSpec();
    }

    private static KafkaSettings kafka(CommandSpec command) {
        Object user = command.userObject();
        if (user instanceof MonitorCommand monitor) {
            return monitor.kafka.settings();
        }
        if (user instanceof AggregateCommand aggregate) {
            return aggregate.kafka.settings();
        }
        return ((TopicsCommand.Create) user).kafka.settings();
    }

    private static String value(CommandSpec command, String option) {
        return String.valueOf((Object) command.findOption(option).getValue());
    }

    @Test
    void kustomizationListsEveryManifestOfTheFolder() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".yaml"))
                    .filter(f -> !f.equals("kustomization.yaml"))).containsExactlyInAnyOrderElementsOf(resources());
        }
        // The image an overlay retargets is the one the containers name.
        assertThat(readYaml(DIR.resolve("kustomization.yaml")).path("images").get(0).path("name").asText())
                .isEqualTo(pods().get(0).container().path("image").asText());
    }

    @Test
    void everyContainerRunsARealCommandAndEveryVariableIsASettingOrIsUsed() {
        Map<String, String> commands = new LinkedHashMap<>();
        Set<String> declaredEnvSources = declaredSecrets().stream().map(DeclaredSecret::source)
                .filter(s -> s.kind() == SecretSource.Kind.ENV).map(SecretSource::locator)
                .collect(Collectors.toCollection(TreeSet::new));
        for (Pod pod : pods()) {
            CommandSpec command = parse(pod);
            commands.put(pod.workload().path("metadata").path("name").asText(), command.qualifiedName());
            Set<String> settings = new TreeSet<>();
            SettingsProvider.settingNames(command).forEach(s -> settings.add(SettingsProvider.envName(s)));
            Set<String> used = new TreeSet<>();
            pod.container().path("args").forEach(a -> used.addAll(references(a.asText())));
            pod.container().path("env").forEach(e -> used.addAll(references(e.path("value").asText())));
            for (String name : environment(pod).keySet()) {
                if (name.startsWith(SettingsProvider.ENV_PREFIX)) {
                    assertThat(settings).as("%s is a setting of '%s'", name, command.qualifiedName()).contains(name);
                } else {
                    assertThat(used.contains(name) || declaredEnvSources.contains(name))
                            .as("%s of %s is referenced by $(%s) or by an env: secret source", name,
                                    command.qualifiedName(), name).isTrue();
                }
            }
            // Builds the Kafka settings as the command will: -X properties healthmon owns are refused here.
            assertThat(kafka(command).bootstrapServers())
                    .isEqualTo(object("ConfigMap", "healthmon-kafka").path("data").path("HEALTHMON_BOOTSTRAP_SERVERS")
                            .asText());
        }
        assertThat(commands).containsExactlyInAnyOrderEntriesOf(Map.of("healthmon-monitor", "healthmon monitor",
                "healthmon-aggregator", "healthmon aggregate", "healthmon-topics", "healthmon topics create"));
    }

    @Test
    void monitorsJoinTheGroupAsStaticMembersNamedAfterTheirPod() {
        Pod pod = pod("Deployment", "healthmon-monitor");
        MonitorCommand monitor = (MonitorCommand) parse(pod).userObject();
        Map<String, Object> consumer = monitor.kafka.settings().registryConsumer(monitor.groupId, "client",
                monitor.groupProtocol);

        assertThat(ConsumerConfig.configNames()).contains(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        assertThat(consumer).containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, pod.name());
        assertThat(monitor.monitorId).isEqualTo(pod.name());
        // Another pod, another member: the name comes from the pod, not from the manifest.
        Pod other = new Pod(pod.workload(), "healthmon-monitor-5d8f7c9b4-q9wzt", pod.spec(), pod.container());
        MonitorCommand second = (MonitorCommand) parse(other).userObject();
        assertThat(second.kafka.settings().registryConsumer(second.groupId, "client", second.groupProtocol))
                .containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, other.name());
    }

    @Test
    void probesAskTheRealEndpointsOnThePortTheProcessListensOn() throws Exception {
        AtomicBoolean ready = new AtomicBoolean(false);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        // The monitor's OpsServer and the aggregator's API server both serve these.
        OpsEndpoints.install(server, Meters.prometheus(), () -> Readiness.when(ready.get(), "restoring"));
        server.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            for (String workload : List.of("Deployment/healthmon-monitor", "StatefulSet/healthmon-aggregator")) {
                Pod pod = pod(workload.split("/")[0], workload.split("/")[1]);
                int listens = Integer.parseInt(value(parse(pod), "--http-port"));
                for (String kind : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                    JsonNode probe = pod.probe(kind);
                    assertThat(pod.port(probe.path("port"))).as("%s %s port", workload, kind).isEqualTo(listens);
                }
                JsonNode annotations = pod.workload().path("spec").path("template").path("metadata")
                        .path("annotations");
                assertThat(annotations.path("prometheus.io/port").asInt()).as("metrics port").isEqualTo(listens);

                URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
                ready.set(false);
                // A process that is still starting or restoring is alive: it must not be restarted.
                assertThat(status(http, base, pod.probe("startupProbe"))).as("%s startup", workload).isEqualTo(200);
                assertThat(status(http, base, pod.probe("livenessProbe"))).as("%s liveness", workload).isEqualTo(200);
                assertThat(status(http, base, pod.probe("readinessProbe"))).as("%s readiness", workload)
                        .isEqualTo(503);
                ready.set(true);
                assertThat(status(http, base, pod.probe("readinessProbe"))).isEqualTo(200);
                assertThat(http.send(HttpRequest.newBuilder(base.resolve(annotations.path("prometheus.io/path")
                        .asText())).build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
            }
        } finally {
            server.stop(0);
        }
    }

    private static int status(HttpClient http, URI base, JsonNode httpGet) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(httpGet.path("path").asText())).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void gracePeriodsOutlastTheShutdownTimeouts() {
        // The margin: after its timeout the process still closes its HTTP server and the JVM exits.
        int marginSeconds = 5;
        Pod monitor = pod("Deployment", "healthmon-monitor");
        long monitorTimeoutMs = Long.parseLong(value(parse(monitor), "--shutdown-timeout-ms"));
        assertThat(monitor.spec().path("terminationGracePeriodSeconds").asLong() * 1000)
                .isGreaterThanOrEqualTo(monitorTimeoutMs + marginSeconds * 1000L);

        Pod aggregator = pod("StatefulSet", "healthmon-aggregator");
        assertThat(aggregator.spec().path("terminationGracePeriodSeconds").asLong())
                .isGreaterThanOrEqualTo(AggregatorService.CLOSE_TIMEOUT.toSeconds() + marginSeconds);
    }

    @Test
    void aggregatorsKeepStateOnTheirClaimAdvertiseTheirHeadlessNameAndKeepAStandby() {
        Pod pod = pod("StatefulSet", "healthmon-aggregator");
        AggregateCommand aggregator = (AggregateCommand) parse(pod).userObject();
        JsonNode statefulSet = pod.workload().path("spec");

        Path stateDir = aggregator.stateDir;
        assertThat(stateDir).as("--state-dir").isNotNull();
        assertThat(pod.volumeAt(stateDir.getParent().toString()).has("volumeClaimTemplate"))
                .as("%s is on a volumeClaimTemplate", stateDir).isTrue();

        String service = statefulSet.path("serviceName").asText();
        JsonNode headless = object("Service", service).path("spec");
        assertThat(headless.path("clusterIP").asText()).isEqualTo("None");
        assertThat(headless.path("publishNotReadyAddresses").asBoolean()).isTrue();
        assertThat(selects(headless.path("selector"), pod)).isTrue();
        assertThat(pod.port(headless.path("ports").get(0).path("targetPort"))).isEqualTo(aggregator.httpPort);
        // Streams' application.server: the name the headless Service gives this pod.
        assertThat(aggregator.advertisedHost).isEqualTo(pod.name() + "." + service + "." + NAMESPACE + ".svc");

        int replicas = statefulSet.path("replicas").asInt();
        assertThat(aggregator.standbyReplicas).as("standby replicas").isPositive().isLessThan(replicas);
        JsonNode page = object("Service", "healthmon-aggregator").path("spec");
        assertThat(selects(page.path("selector"), pod)).isTrue();
        assertThat(pod.port(page.path("ports").get(0).path("targetPort"))).isEqualTo(aggregator.httpPort);
    }

    private static boolean selects(JsonNode selector, Pod pod) {
        JsonNode labels = pod.workload().path("spec").path("template").path("metadata").path("labels");
        List<Boolean> matches = new ArrayList<>();
        selector.fields().forEachRemaining(e -> matches.add(labels.path(e.getKey()).asText().equals(e.getValue()
                .asText())));
        return !matches.isEmpty() && !matches.contains(false);
    }

    private List<DeclaredSecret> declaredSecrets() {
        Pod pod = pod("Deployment", "healthmon-monitor");
        Path file = ((MonitorCommand) parse(pod).userObject()).secretsFile;
        assertThat(file).as("--secrets-file").isNotNull();
        JsonNode volume = pod.volumeAt(file.getParent().toString());
        String declaration = object("ConfigMap", volume.path("configMap").path("name").asText()).path("data")
                .path(file.getFileName().toString()).asText();
        assertThat(declaration).as("the ConfigMap mounted at %s has %s", file.getParent(), file.getFileName())
                .isNotEmpty();
        try {
            Path copy = Files.createTempFile("secrets", ".yaml");
            try {
                Files.writeString(copy, declaration);
                SecretCatalog catalog = SecretCatalog.load(copy);
                return catalog.names().stream().map(n -> catalog.find(n).orElseThrow()).toList();
            } finally {
                Files.delete(copy);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void everyDeclaredCheckSecretIsWhereItsSourceSays() {
        Pod pod = pod("Deployment", "healthmon-monitor");
        Map<String, String> env = environment(pod);
        List<DeclaredSecret> secrets = declaredSecrets();
        assertThat(secrets).extracting(s -> s.source().kind()).contains(SecretSource.Kind.FILE, SecretSource.Kind.ENV);
        for (DeclaredSecret secret : secrets) {
            String locator = secret.source().locator();
            if (secret.source().kind() == SecretSource.Kind.FILE) {
                Path file = Path.of(locator);
                JsonNode volume = pod.volumeAt(file.getParent().toString());
                assertThat(secretValue(volume.path("secret").path("secretName").asText(),
                        file.getFileName().toString())).as(secret.name()).isNotEmpty();
            } else {
                assertThat(env).as("%s: variable %s", secret.name(), locator).containsKey(locator);
                List<JsonNode> definitions = new ArrayList<>();
                pod.container().path("env").forEach(e -> {
                    if (e.path("name").asText().equals(locator)) {
                        definitions.add(e);
                    }
                });
                assertThat(definitions).as("%s comes from a Secret", locator).singleElement()
                        .matches(e -> e.path("valueFrom").has("secretKeyRef"));
            }
        }
    }

    @Test
    void everyContainerRunsAsTheImageUserOnAReadOnlyRootWithAWritableTmpAndSizedResources() {
        String tmp = IMAGE.systemProperty("java.io.tmpdir").orElseThrow();
        for (Pod pod : pods()) {
            String name = pod.container().path("name").asText();
            JsonNode podSecurity = pod.spec().path("securityContext");
            JsonNode security = pod.container().path("securityContext");
            assertThat(podSecurity.path("runAsNonRoot").asBoolean()).as(name).isTrue();
            assertThat(podSecurity.path("runAsUser").asText()).as(name).isEqualTo(IMAGE.userId());
            assertThat(security.path("readOnlyRootFilesystem").asBoolean()).as(name).isTrue();
            assertThat(security.path("allowPrivilegeEscalation").asBoolean(true)).as(name).isFalse();
            assertThat(pod.volumeAt(tmp).has("emptyDir")).as("%s: an emptyDir at java.io.tmpdir", name).isTrue();
            assertThat(pod.spec().path("automountServiceAccountToken").asBoolean(true)).as(name).isFalse();

            JsonNode resources = pod.container().path("resources");
            assertThat(resources.path("requests").has("cpu")).as("%s cpu request", name).isTrue();
            // The heap is a share of the limit (MaxRAMPercentage): a limit above the request would let the
            // scheduler place a JVM where its heap does not fit.
            assertThat(resources.path("limits").path("memory").asText()).as("%s memory", name)
                    .isNotEmpty().isEqualTo(resources.path("requests").path("memory").asText());
        }
    }

    @Test
    void budgetsAndSelectorsMatchTheirPodsAndPartitionsCoverTheReplicas() {
        for (JsonNode budget : objects("PodDisruptionBudget")) {
            String name = budget.path("metadata").path("name").asText();
            JsonNode selector = budget.path("spec").path("selector").path("matchLabels");
            List<String> selected = new ArrayList<>();
            for (Pod pod : pods()) {
                if (selects(selector, pod)) {
                    selected.add(pod.workload().path("metadata").path("name").asText());
                }
            }
            assertThat(selected).as("workloads of budget %s", name).containsExactly(name);
            assertThat(budget.path("spec").path("maxUnavailable").asInt()).isEqualTo(1);
        }
        assertThat(objects("PodDisruptionBudget")).extracting(b -> b.path("metadata").path("name").asText())
                .contains("healthmon-monitor", "healthmon-aggregator");
        for (Pod pod : pods()) {
            JsonNode matchLabels = pod.workload().path("spec").path("selector").path("matchLabels");
            if (!matchLabels.isMissingNode()) {
                assertThat(selects(matchLabels, pod)).isTrue();
            }
        }
        Pod topics = pod("Job", "healthmon-topics");
        int partitions = ((TopicsCommand.Create) parse(topics).userObject()).partitions;
        assertThat(List.of("OnFailure", "Never")).contains(topics.spec().path("restartPolicy").asText());
        // An instance beyond the partition count would own nothing.
        assertThat(object("Deployment", "healthmon-monitor").path("spec").path("replicas").asInt())
                .isLessThanOrEqualTo(partitions);
        assertThat(object("StatefulSet", "healthmon-aggregator").path("spec").path("replicas").asInt())
                .isLessThanOrEqualTo(partitions);
    }
}
