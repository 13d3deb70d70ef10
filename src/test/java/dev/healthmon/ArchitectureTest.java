package dev.healthmon;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package graph of docs/design.md §1.1, enforced: no cycles, and each layer knows only the
 * layers below it. Reads the production classes only (tests may reach across layers).
 *
 * <pre>
 *   status   target   secrets   kafka   http   json   (depend on no other healthmon package)
 *      \        |        /
 *       registration                                   (the registration contract and its codec)
 *            |
 *          events                                      (the event contract, its codec, its publisher)
 *            |
 *          probe                                       (one check of one backend; no Kafka)
 *            |
 *         monitor                                      (per-backend lifecycle; no Kafka)
 *            |
 *        registry          aggregate                   (the Kafka consumer; the Streams aggregator)
 *             \              /
 *         dev.healthmon (MonitorService)  →  cli       (composition roots)
 * </pre>
 */
class ArchitectureTest {

    private static JavaClasses production;

    @BeforeAll
    static void importProductionClasses() {
        production = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.healthmon");
    }

    private static void check(ArchRule rule) {
        rule.check(production);
    }

    /** No class of {@code layer} uses a healthmon class outside {@code layer} and {@code allowed}. */
    private static ArchRule mayUseOnly(String layer, String... allowed) {
        String[] own = new String[allowed.length + 1];
        own[0] = "dev.healthmon." + layer + "..";
        for (int i = 0; i < allowed.length; i++) {
            own[i + 1] = "dev.healthmon." + allowed[i] + "..";
        }
        DescribedPredicate<JavaClass> elsewhere = resideInAPackage("dev.healthmon..").and(not(resideInAnyPackage(own)));
        return noClasses().that().resideInAPackage("dev.healthmon." + layer + "..")
                .should().dependOnClassesThat(elsewhere)
                .because(layer + " may use only " + (allowed.length == 0 ? "itself" : String.join(", ", allowed)));
    }

    @Test
    void packagesFormNoCycle() {
        check(slices().matching("dev.healthmon.(*)..").should().beFreeOfCycles());
    }

    @Test
    void statusTargetSecretsKafkaHttpAndJsonAreLeaves() {
        for (String leaf : new String[] {"status", "target", "secrets", "kafka", "http", "json"}) {
            check(mayUseOnly(leaf));
        }
    }

    @Test
    void eachLayerUsesOnlyTheLayersBelowIt() {
        check(mayUseOnly("registration", "status", "target", "secrets", "json"));
        check(mayUseOnly("events", "registration", "status", "http", "json"));
        check(mayUseOnly("probe", "events", "registration", "status", "target", "secrets"));
        check(mayUseOnly("monitor", "probe", "events", "registration", "status"));
        check(mayUseOnly("registry", "monitor", "events", "registration", "status", "kafka"));
        check(mayUseOnly("aggregate", "events", "registration", "status", "kafka", "http", "json"));
    }

    @Test
    void checkingABackendKnowsNothingOfKafka() {
        check(noClasses().that().resideInAnyPackage("dev.healthmon.status..", "dev.healthmon.target..",
                        "dev.healthmon.registration..", "dev.healthmon.probe..", "dev.healthmon.monitor..")
                .should().dependOnClassesThat().resideInAPackage("org.apache.kafka..")
                .because("probes and the check lifecycle are tested and reused without a broker"));
    }

    @Test
    void onlyTheCommandLineUsesTheCommandLine() {
        check(noClasses().that().resideOutsideOfPackage("dev.healthmon.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.healthmon.cli.."));
    }
}
