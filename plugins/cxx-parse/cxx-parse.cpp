/* cxx-parse.cpp -- a C++ plugin whose errors are exceptions: it parses and
 * evaluates an integer expression, {"expr": "1 + try(4 / 0, 7)"}, and
 * answers its value or the error, with a count of the frames the
 * evaluation entered and left (every frame holds a guard whose destructor
 * runs as exceptions unwind it).
 *
 * A WASI command (the command ABI: arguments JSON on stdin, the answer on
 * stdout, exit status 1 for an error), built for wasm32 by clang++ with
 * -fwasm-exceptions and sdk/cxx's runtime, and natively by g++ with the
 * platform's libstdc++: tests/cxx/run.sh requires both to print the same.
 * Only C headers: there is no C++ library for wasm32 here.
 *
 * What throws what, and who catches it:
 *   Error                  (caught by reference to the base in main)
 *     SyntaxError          a parse error, thrown from deep in the recursion
 *       UnknownName        a name that is no function
 *     MathError            caught by try(a, b), which then evaluates b
 *       DivisionByZero
 *       Overflow
 *     LimitError           nesting or size past the limits (its own handler)
 *   int                    fail(n): an exit code, caught by value
 *   const char *           malformed arguments JSON
 *   Halt                   halt(): no relation to Error, caught by catch (...)
 * A parenthesised group and a function's arguments catch every Error, add
 * where they were to it and rethrow it (throw;), so the answer shows the
 * path the exception took.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

namespace {

const int MAX_DEPTH = 24;     /* nesting of groups, calls and unary minus */
const int MAX_NODES = 128;    /* of the syntax tree */
const size_t MAX_INPUT = 4096;

/* Frames entered and left: equal at the end when every guard's destructor
 * ran, whichever way its frame was left. */
struct FrameCount {
    int entered = 0, left = 0;
} frames;

struct FrameGuard {
    FrameGuard() { frames.entered++; }
    ~FrameGuard() { frames.left++; }
    FrameGuard(const FrameGuard &) = delete;
    FrameGuard &operator=(const FrameGuard &) = delete;
};

class Error {
public:
    Error(int position, const char *what) : position_(position)
    {
        snprintf(message_, sizeof message_, "%s", what);
    }
    virtual ~Error() {}
    virtual const char *kind() const = 0;
    int position() const { return position_; }
    const char *message() const { return message_; }
    /* Appends where the exception passed on its way out. */
    void add_context(const char *where, int position)
    {
        size_t used = strlen(message_);
        snprintf(message_ + used, sizeof message_ - used, " (in %s at %d)", where, position);
    }

private:
    int position_;
    char message_[200];
};

class SyntaxError : public Error {
public:
    using Error::Error;
    const char *kind() const override { return "syntax error"; }
};

class UnknownName : public SyntaxError {
public:
    using SyntaxError::SyntaxError;
    const char *kind() const override { return "unknown name"; }
};

class MathError : public Error {
public:
    using Error::Error;
};

class DivisionByZero : public MathError {
public:
    using MathError::MathError;
    const char *kind() const override { return "division by zero"; }
};

class Overflow : public MathError {
public:
    using MathError::MathError;
    const char *kind() const override { return "overflow"; }
};

class LimitError : public Error {
public:
    using Error::Error;
    const char *kind() const override { return "limit"; }
};

struct Halt {
    int position;
};

enum class Op { Number, Negate, Add, Subtract, Multiply, Divide, Remainder, Try, Fail, Halt };

struct Node {
    Op op;
    int position;
    int64_t value;
    const Node *left, *right;
};

class Parser {
public:
    explicit Parser(const char *text) : text_(text) {}

    const Node *parse()
    {
        FrameGuard guard;
        const Node *n = sum(0);
        skip_space();
        if (text_[at_])
            throw SyntaxError(at_, "unexpected character after the expression");
        return n;
    }

private:
    const char *text_;
    int at_ = 0;
    Node nodes_[MAX_NODES];
    int used_ = 0;

    const Node *node(Op op, int position, int64_t value, const Node *left, const Node *right)
    {
        if (used_ == MAX_NODES)
            throw LimitError(position, "expression too long");
        nodes_[used_] = Node{op, position, value, left, right};
        return &nodes_[used_++];
    }

    void skip_space()
    {
        while (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n')
            at_++;
    }

    void expect(char c, const char *message)
    {
        skip_space();
        if (text_[at_] != c)
            throw SyntaxError(at_, message);
        at_++;
    }

    const Node *sum(int depth)
    {
        FrameGuard guard;
        const Node *left = product(depth);
        for (;;) {
            skip_space();
            char c = text_[at_];
            if (c != '+' && c != '-')
                return left;
            int position = at_++;
            left = node(c == '+' ? Op::Add : Op::Subtract, position, 0, left, product(depth));
        }
    }

    const Node *product(int depth)
    {
        FrameGuard guard;
        const Node *left = unary(depth);
        for (;;) {
            skip_space();
            char c = text_[at_];
            if (c != '*' && c != '/' && c != '%')
                return left;
            int position = at_++;
            Op op = c == '*' ? Op::Multiply : c == '/' ? Op::Divide : Op::Remainder;
            left = node(op, position, 0, left, unary(depth));
        }
    }

    const Node *unary(int depth)
    {
        FrameGuard guard;
        if (depth >= MAX_DEPTH)
            throw LimitError(at_, "nested too deeply");
        skip_space();
        int position = at_;
        if (text_[at_] == '-') {
            at_++;
            return node(Op::Negate, position, 0, unary(depth + 1), nullptr);
        }
        if (text_[at_] == '(') {
            at_++;
            try {
                const Node *inner = sum(depth + 1);
                expect(')', "expected ')'");
                return inner;
            } catch (Error &e) {
                e.add_context("group", position);
                throw;
            }
        }
        if (text_[at_] >= '0' && text_[at_] <= '9')
            return number();
        if ((text_[at_] >= 'a' && text_[at_] <= 'z'))
            return call(depth);
        if (!text_[at_])
            throw SyntaxError(at_, "unexpected end of the expression");
        throw SyntaxError(at_, "expected a number, a name, '-' or '('");
    }

    const Node *number()
    {
        int position = at_;
        int64_t value = 0;
        while (text_[at_] >= '0' && text_[at_] <= '9') {
            if (__builtin_mul_overflow(value, 10, &value) ||
                __builtin_add_overflow(value, text_[at_] - '0', &value))
                throw Overflow(position, "number too large");
            at_++;
        }
        return node(Op::Number, position, value, nullptr, nullptr);
    }

    const Node *call(int depth)
    {
        FrameGuard guard;
        int position = at_;
        char name[16];
        size_t length = 0;
        while (text_[at_] >= 'a' && text_[at_] <= 'z') {
            if (length + 1 == sizeof name)
                throw UnknownName(position, "name too long");
            name[length++] = text_[at_++];
        }
        name[length] = 0;
        Op op;
        int arity;
        if (strcmp(name, "try") == 0)
            op = Op::Try, arity = 2;
        else if (strcmp(name, "fail") == 0)
            op = Op::Fail, arity = 1;
        else if (strcmp(name, "halt") == 0)
            op = Op::Halt, arity = 0;
        else
            throw UnknownName(position, name);
        expect('(', "expected '(' after a function's name");
        const Node *args[2] = {nullptr, nullptr};
        try {
            for (int i = 0; i < arity; i++) {
                if (i > 0)
                    expect(',', "expected ',' between arguments");
                args[i] = sum(depth + 1);
            }
            expect(')', "expected ')' after the arguments");
        } catch (Error &e) {
            e.add_context(name, position);
            throw;
        }
        return node(op, position, 0, args[0], args[1]);
    }
};

int64_t evaluate(const Node *n)
{
    FrameGuard guard;
    int64_t a, b, r;
    switch (n->op) {
    case Op::Number:
        return n->value;
    case Op::Negate:
        a = evaluate(n->left);
        if (a == INT64_MIN)
            throw Overflow(n->position, "negation overflows");
        return -a;
    case Op::Add:
    case Op::Subtract:
    case Op::Multiply:
        a = evaluate(n->left);
        b = evaluate(n->right);
        if (n->op == Op::Add ? __builtin_add_overflow(a, b, &r)
            : n->op == Op::Subtract ? __builtin_sub_overflow(a, b, &r)
                                    : __builtin_mul_overflow(a, b, &r))
            throw Overflow(n->position, "result out of range");
        return r;
    case Op::Divide:
    case Op::Remainder:
        a = evaluate(n->left);
        b = evaluate(n->right);
        if (b == 0)
            throw DivisionByZero(n->position, "divisor is zero");
        if (a == INT64_MIN && b == -1)
            throw Overflow(n->position, "quotient out of range");
        return n->op == Op::Divide ? a / b : a % b;
    case Op::Try:
        try {
            return evaluate(n->left);
        } catch (const MathError &e) {
            /* the fallback runs inside the handler: what it throws leaves
             * the handler with the first exception still held */
            return evaluate(n->right);
        }
    case Op::Fail:
        a = evaluate(n->left);
        throw (int)(a & 0x7f);
    case Op::Halt:
        throw Halt{n->position};
    }
    throw SyntaxError(n->position, "unknown operation");
}

/* The "expr" member of {"expr": "..."}, unescaped into `out`. */
void read_arguments(const char *json, char *out, size_t size)
{
    const char *p = json;
    auto space = [&p] {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
    };
    space();
    if (*p++ != '{')
        throw "arguments are not a JSON object";
    space();
    if (strncmp(p, "\"expr\"", 6) != 0)
        throw "expected the member \"expr\"";
    p += 6;
    space();
    if (*p++ != ':')
        throw "expected ':' after \"expr\"";
    space();
    if (*p++ != '"')
        throw "\"expr\" must be a string";
    size_t length = 0;
    for (; *p != '"'; p++) {
        char c = *p;
        if (!c)
            throw "unterminated string";
        if (c == '\\') {
            switch (*++p) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            default: throw "unsupported escape in \"expr\"";
            }
        }
        if (length + 1 >= size)
            throw "\"expr\" too long";
        out[length++] = c;
    }
    out[length] = 0;
    p++;
    space();
    if (*p++ != '}')
        throw "expected '}' after \"expr\" (no other members)";
    space();
    if (*p)
        throw "trailing characters after the arguments";
}

int run(const char *json)
{
    char expr[MAX_INPUT];
    try {
        read_arguments(json, expr, sizeof expr);
        Parser parser(expr);
        const Node *tree = parser.parse();
        printf("%lld", (long long)evaluate(tree));
        return 0;
    } catch (const LimitError &e) {
        printf("limit reached at %d: %s", e.position(), e.message());
    } catch (const Error &e) {
        printf("%s at %d: %s", e.kind(), e.position(), e.message());
    } catch (int code) {
        printf("failed with code %d", code);
    } catch (const char *why) {
        printf("bad arguments: %s", why);
    } catch (...) {
        printf("halted");
    }
    return 1;
}

} // namespace

int main()
{
    static char input[MAX_INPUT + 64];
    size_t n = fread(input, 1, sizeof input - 1, stdin);
    input[n] = 0;
    int status = feof(stdin) ? run(input) : (printf("bad arguments: too long"), 1);
    printf("\nframes: %d entered, %d left\n", frames.entered, frames.left);
    return status;
}
