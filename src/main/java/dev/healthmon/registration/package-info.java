/**
 * The registration contract: what a platform team writes to {@code backend-registry}
 * ({@code schemas/backend-registration.v1.schema.json}), decoded and validated by
 * {@link dev.healthmon.registration.RegistrationCodec} into a {@link dev.healthmon.registration.BackendRegistration}
 * with its effective {@link dev.healthmon.registration.CheckSettings}. Read by the monitor and the
 * aggregator alike; knows nothing of Kafka.
 */
package dev.healthmon.registration;
