package org.lwm2mfleet.server.auth;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import org.lwm2mfleet.server.error.FleetException;
import org.lwm2mfleet.server.error.ProblemType;
import org.lwm2mfleet.server.store.Jdbc;

/** The users table: creation, password checks and changes, roles, disabling. */
public final class Users {

    public static final int MIN_PASSWORD_LENGTH = 12;
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

    private final Jdbc jdbc;
    private final PasswordHasher hasher;
    private final Clock clock;
    /** Compared against when the user does not exist, so that the answer takes as long either way. */
    private final String decoyHash;

    public Users(Jdbc jdbc, PasswordHasher hasher, Clock clock) {
        this.jdbc = jdbc;
        this.hasher = hasher;
        this.clock = clock;
        this.decoyHash = hasher.hash(java.util.UUID.randomUUID().toString());
    }

    public boolean none() {
        return jdbc.queryOne("SELECT COUNT(*) FROM users", row -> row.getLong(1)).orElse(0L) == 0;
    }

    public User create(String username, String password, Role role, boolean mustChangePassword) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw FleetException.invalid("username",
                    "1 to 64 letters, digits or . _ @ -, starting with a letter or digit");
        }
        requireStrong("password", password);
        if (find(username).isPresent()) {
            throw new FleetException(ProblemType.CONFLICT, "username", "user " + username + " already exists");
        }
        jdbc.update("INSERT INTO users (username, role, password_hash, must_change_password, created_at)"
                + " VALUES (?, ?, ?, ?, ?)", username, role.name(), hasher.hash(password), mustChangePassword,
                Jdbc.timestamp(clock.instant()));
        return get(username);
    }

    public Optional<User> find(String username) {
        return jdbc.queryOne("SELECT * FROM users WHERE username = ?", Users::user, username);
    }

    public User get(String username) {
        return find(username).orElseThrow(() -> FleetException.notFound("no user " + username));
    }

    public List<User> all() {
        return jdbc.query("SELECT * FROM users ORDER BY username", Users::user);
    }

    /** The enabled user whose password this is, or empty. */
    public Optional<User> authenticate(String username, String password) {
        Optional<String> stored = jdbc.queryOne("SELECT password_hash FROM users WHERE username = ?",
                row -> row.getString(1), username);
        boolean matches = hasher.matches(password, stored.orElse(decoyHash));
        if (stored.isEmpty() || !matches) {
            return Optional.empty();
        }
        User user = get(username);
        if (user.disabled()) {
            return Optional.empty();
        }
        jdbc.update("UPDATE users SET last_login_at = ? WHERE username = ?", Jdbc.timestamp(clock.instant()),
                username);
        return Optional.of(user);
    }

    public void changePassword(String username, String currentPassword, String newPassword) {
        String stored = jdbc.queryOne("SELECT password_hash FROM users WHERE username = ?", row -> row.getString(1),
                username).orElseThrow(() -> FleetException.notFound("no user " + username));
        if (currentPassword == null || !hasher.matches(currentPassword, stored)) {
            throw FleetException.invalid("currentPassword", "is not the current password");
        }
        if (newPassword != null && newPassword.equals(currentPassword)) {
            throw FleetException.invalid("newPassword", "must differ from the current password");
        }
        setPassword(username, "newPassword", newPassword, false);
    }

    /** Sets a password; {@code mustChange} makes it one-time (an admin resetting someone's password). */
    public void setPassword(String username, String field, String password, boolean mustChange) {
        requireStrong(field, password);
        if (jdbc.update("UPDATE users SET password_hash = ?, must_change_password = ? WHERE username = ?",
                hasher.hash(password), mustChange, username) == 0) {
            throw FleetException.notFound("no user " + username);
        }
    }

    public void setRole(String username, Role role) {
        if (jdbc.update("UPDATE users SET role = ? WHERE username = ?", role.name(), username) == 0) {
            throw FleetException.notFound("no user " + username);
        }
    }

    public void setDisabled(String username, boolean disabled) {
        if (jdbc.update("UPDATE users SET disabled = ? WHERE username = ?", disabled, username) == 0) {
            throw FleetException.notFound("no user " + username);
        }
    }

    public void delete(String username) {
        if (jdbc.update("DELETE FROM users WHERE username = ?", username) == 0) {
            throw FleetException.notFound("no user " + username);
        }
    }

    /** How many enabled admins there are: the last one may not be demoted, disabled or deleted. */
    public long activeAdmins() {
        return jdbc.queryOne("SELECT COUNT(*) FROM users WHERE role = 'ADMIN' AND NOT disabled",
                row -> row.getLong(1)).orElse(0L);
    }

    private static void requireStrong(String field, String password) {
        if (password == null || password.length() < MIN_PASSWORD_LENGTH) {
            throw FleetException.invalid(field, "must be at least " + MIN_PASSWORD_LENGTH + " characters");
        }
        if (password.length() > 1024) {
            throw FleetException.invalid(field, "must be at most 1024 characters");
        }
    }

    private static User user(ResultSet row) throws SQLException {
        return new User(row.getString("username"), Role.valueOf(row.getString("role")),
                row.getBoolean("must_change_password"), row.getBoolean("disabled"), Jdbc.instant(row, "created_at"),
                Jdbc.instant(row, "last_login_at"));
    }
}
