package io.nsqpush.testsupport;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS material for tests, generated at runtime with BouncyCastle (nothing checked in): EC P-256 keys and
 * SHA256withECDSA certificates, fast enough to generate once per JVM ({@link #generate()} caches).
 *
 * <ul>
 *   <li>a test CA, and signed by it: a server certificate for {@code 127.0.0.1} and {@code localhost} (SAN IP + DNS),
 *       a client certificate ({@code CN=test-nsqd-client}) and a server certificate whose only SAN is
 *       {@code otherhost.example} (hostname verification must refuse it for 127.0.0.1);</li>
 *   <li>an unrelated "foreign" CA with its own server certificate for {@code 127.0.0.1} (must not be trusted).</li>
 * </ul>
 * Server contexts ({@link #serverContext(Server)}) trust the test CA for client certificates. For clients that read
 * files there are PKCS12 stores (password {@link #password()}) and PEM files in a temporary directory.
 */
public final class TestCertificates {

    /** The server certificate a {@link #serverContext(Server)} presents. */
    public enum Server {
        /** Signed by the test CA, SAN IP 127.0.0.1 and DNS localhost. */
        TRUSTED,
        /** Signed by the foreign CA, SAN IP 127.0.0.1: a client trusting only the test CA must refuse it. */
        FOREIGN,
        /** Signed by the test CA, SAN DNS otherhost.example only: refused by hostname verification. */
        WRONG_HOST
    }

    public static final String CLIENT_COMMON_NAME = "test-nsqd-client";

    private static final String PASSWORD = "test-nsqd-password";
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    private static TestCertificates shared;

    private final Issued ca;
    private final Issued server;
    private final Issued client;
    private final Issued wrongHostServer;
    private final Issued foreignCa;
    private final Issued foreignServer;
    private final Path directory;

    /** A key pair and its certificate chain, leaf first. */
    private record Issued(KeyPair keys, X509Certificate[] chain) {
        X509Certificate certificate() {
            return chain[0];
        }
    }

    private TestCertificates() throws GeneralSecurityException, IOException, OperatorCreationException {
        ca = selfSignedCa("CN=test-nsqd CA");
        server = issue(ca, "CN=127.0.0.1", KeyPurposeId.id_kp_serverAuth,
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost"));
        client = issue(ca, "CN=" + CLIENT_COMMON_NAME, KeyPurposeId.id_kp_clientAuth);
        wrongHostServer = issue(ca, "CN=otherhost.example", KeyPurposeId.id_kp_serverAuth,
                new GeneralName(GeneralName.dNSName, "otherhost.example"));
        foreignCa = selfSignedCa("CN=foreign CA");
        foreignServer = issue(foreignCa, "CN=127.0.0.1", KeyPurposeId.id_kp_serverAuth,
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"));

        directory = Files.createTempDirectory("test-certificates");
        directory.toFile().deleteOnExit();
        writeStore(trustStore(), trustStoreOf(ca));
        writeStore(foreignTrustStore(), trustStoreOf(foreignCa));
        writeStore(clientKeyStore(), keyStoreOf(client));
        writePem(caCertificatePem(), ca.certificate());
        writePem(clientCertificatePem(), client.chain());
        writePem(clientKeyPem(), client.keys().getPrivate());
        writePem(serverCertificatePem(), server.chain());
        writePem(serverKeyPem(), server.keys().getPrivate());
    }

    /** The certificates of this JVM: generated on the first call, the same instance afterwards. */
    public static synchronized TestCertificates generate() {
        if (shared == null) {
            try {
                shared = new TestCertificates();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (GeneralSecurityException | OperatorCreationException e) {
                throw new IllegalStateException("cannot generate test certificates", e);
            }
        }
        return shared;
    }

    // ---------------------------------------------------------------- SSLContexts

    /** The TRUSTED server certificate; client certificates are verified against the test CA. */
    public SSLContext serverContext() {
        return serverContext(Server.TRUSTED);
    }

    public SSLContext serverContext(Server which) {
        Issued identity = switch (which) {
            case TRUSTED -> server;
            case FOREIGN -> foreignServer;
            case WRONG_HOST -> wrongHostServer;
        };
        return context(keyStoreOf(identity), trustStoreOf(ca));
    }

    /** A client trusting the test CA, presenting the client certificate if asked to. */
    public SSLContext clientContext(boolean withClientCertificate) {
        return context(withClientCertificate ? keyStoreOf(client) : null, trustStoreOf(ca));
    }

    // ---------------------------------------------------------------- files

    /** PKCS12 with the test CA as trusted certificate (alias "ca"). */
    public Path trustStore() {
        return directory.resolve("truststore.p12");
    }

    /** PKCS12 with the client key and its chain (client certificate, test CA) under alias "client". */
    public Path clientKeyStore() {
        return directory.resolve("client.p12");
    }

    /** PKCS12 with only the foreign CA: a client using it must refuse the test nsqd's TRUSTED certificate. */
    public Path foreignTrustStore() {
        return directory.resolve("foreign-truststore.p12");
    }

    /** Password of every PKCS12 store (and of their key entries). */
    public String password() {
        return PASSWORD;
    }

    /** The test CA certificate, PEM. */
    public Path caCertificatePem() {
        return directory.resolve("ca.pem");
    }

    /** The client certificate chain (client, CA), PEM. */
    public Path clientCertificatePem() {
        return directory.resolve("client.pem");
    }

    /** The client's private key, unencrypted PKCS#8 PEM. */
    public Path clientKeyPem() {
        return directory.resolve("client-key.pem");
    }

    /** The TRUSTED server certificate chain (server, CA), PEM: for a real nsqd's --tls-cert. */
    public Path serverCertificatePem() {
        return directory.resolve("server.pem");
    }

    /** The TRUSTED server certificate's private key, unencrypted PKCS#8 PEM: for a real nsqd's --tls-key. */
    public Path serverKeyPem() {
        return directory.resolve("server-key.pem");
    }

    public X509Certificate caCertificate() {
        return ca.certificate();
    }

    public X509Certificate clientCertificate() {
        return client.certificate();
    }

    // ---------------------------------------------------------------- generation

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return generator.generateKeyPair();
    }

    private static Issued selfSignedCa(String subject)
            throws GeneralSecurityException, CertIOException, OperatorCreationException {
        KeyPair keys = newKeyPair();
        X500Name name = new X500Name(subject);
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder builder = builder(name, name, keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(Extension.subjectKeyIdentifier, false,
                        extensions.createSubjectKeyIdentifier(keys.getPublic()));
        return new Issued(keys, new X509Certificate[] {sign(builder, keys.getPrivate())});
    }

    private static Issued issue(Issued issuer, String subject, KeyPurposeId purpose, GeneralName... altNames)
            throws GeneralSecurityException, CertIOException, OperatorCreationException {
        KeyPair keys = newKeyPair();
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder builder = builder(new X500Name(issuer.certificate().getSubjectX500Principal()
                .getName()), new X500Name(subject), keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                .addExtension(Extension.subjectKeyIdentifier, false,
                        extensions.createSubjectKeyIdentifier(keys.getPublic()))
                .addExtension(Extension.authorityKeyIdentifier, false,
                        extensions.createAuthorityKeyIdentifier(issuer.certificate()));
        if (altNames.length > 0) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(altNames));
        }
        X509Certificate certificate = sign(builder, issuer.keys().getPrivate());
        return new Issued(keys, new X509Certificate[] {certificate, issuer.certificate()});
    }

    private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))), subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
            throws GeneralSecurityException, OperatorCreationException {
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }

    // ---------------------------------------------------------------- stores

    private static KeyStore emptyStore() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyStore trustStoreOf(Issued authority) {
        KeyStore store = emptyStore();
        try {
            store.setCertificateEntry("ca", authority.certificate());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return store;
    }

    private static KeyStore keyStoreOf(Issued identity) {
        KeyStore store = emptyStore();
        try {
            String alias = identity.certificate().getExtendedKeyUsage().contains(KeyPurposeId.id_kp_clientAuth.getId())
                    ? "client" : "server";
            store.setKeyEntry(alias, identity.keys().getPrivate(), PASSWORD.toCharArray(), identity.chain());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return store;
    }

    private static SSLContext context(KeyStore keys, KeyStore trusted) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            KeyManagerFactory keyManagers = null;
            if (keys != null) {
                keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keyManagers.init(keys, PASSWORD.toCharArray());
            }
            TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(
                    TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trusted);
            context.init(keyManagers == null ? null : keyManagers.getKeyManagers(), trustManagers.getTrustManagers(),
                    new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeStore(Path file, KeyStore store) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD.toCharArray());
        }
        file.toFile().deleteOnExit();
    }

    private static void writePem(Path file, Object... objects) throws IOException {
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
             JcaPEMWriter pem = new JcaPEMWriter(writer)) {
            for (Object object : objects) {
                pem.writeObject(object instanceof PrivateKey key
                        ? new JcaPKCS8Generator(key, null) : object);
            }
        }
        file.toFile().deleteOnExit();
    }

    /** For assertions on what a server saw: the client certificate's subject as Java prints it. */
    public String clientSubject() {
        return client.certificate().getSubjectX500Principal().getName();
    }

    @Override
    public String toString() {
        return "TestCertificates[" + directory + "]";
    }
}
