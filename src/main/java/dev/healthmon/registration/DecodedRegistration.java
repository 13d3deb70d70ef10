package dev.healthmon.registration;

/** What one {@code backend-registry} record means, as decided by {@link RegistrationCodec#decode}. */
public sealed interface DecodedRegistration {

    /** The backend id the record is about; the record key, or empty text when the key was missing. */
    String id();

    /** A valid registration with its resolved check settings. */
    record Valid(BackendRegistration registration, CheckSettings settings) implements DecodedRegistration {
        @Override
        public String id() {
            return registration.id();
        }
    }

    /** A null value: the backend is deregistered. */
    record Tombstone(String id) implements DecodedRegistration {}

    /** A record that cannot be used; it goes to the dead-letter topic with {@code error}. */
    record Invalid(String id, InvalidRegistrationException error) implements DecodedRegistration {}
}
